// Shared by glu-gelu.wgsl and glu-gelu-backward.wgsl: x is [rows, 2·inner] = [x₁ | x₂], and element i of a
// [rows, inner] array (the forward's out, the backward's gradOut) pairs x₁ at gluSource(i, inner) with x₂ at
// gluSource(i, inner) + inner.
fn gluSource(i: u32, inner: u32) -> u32 {
  let r = i / inner; let c = i % inner;
  return r * 2u * inner + c;
}
