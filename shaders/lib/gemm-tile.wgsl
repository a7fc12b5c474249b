// The f32 GEMM tile of linear.wgsl and matmul.wgsl: a 64×64 output tile per 16×16 workgroup, each thread a 4×4 block
// (rows 4·lid.y …, columns 4·lid.x …), accumulated over k in TK-deep tiles the kernel stages k-major in workgroup
// memory: tileA[kk][mm] = A[row0 + mm, t + kk], tileB[kk][nn] = B[t + kk, col0 + nn] (0 past the edges).
const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> tileA: array<f32, 1024>; // [TK][TM]
var<workgroup> tileB: array<f32, 1024>; // [TK][TN]

alias TileAcc = array<vec4f, 4>; // a thread's 4×4 block: acc[i][j] at row 4·lid.y + i, column 4·lid.x + j

// acc[i][j] += Σ_kk tileA[kk][4·lid.y + i] · tileB[kk][4·lid.x + j], kk in order (one staged k tile).
fn tileMac(acc: ptr<function, TileAcc>, lid: vec3u) {
  for (var kk = 0u; kk < TK; kk++) {
    let ao = kk * TM + lid.y * 4u; let bo = kk * TN + lid.x * 4u;
    let av = vec4f(tileA[ao], tileA[ao + 1u], tileA[ao + 2u], tileA[ao + 3u]);
    let bv = vec4f(tileB[bo], tileB[bo + 1u], tileB[bo + 2u], tileB[bo + 3u]);
    (*acc)[0] = fma(vec4f(av.x), bv, (*acc)[0]);
    (*acc)[1] = fma(vec4f(av.y), bv, (*acc)[1]);
    (*acc)[2] = fma(vec4f(av.z), bv, (*acc)[2]);
    (*acc)[3] = fma(vec4f(av.w), bv, (*acc)[3]);
  }
}
