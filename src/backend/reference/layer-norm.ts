// layerNorm (reference): two-pass mean / biased variance in float64, residual added first.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const layerNorm: Kernel<"layerNorm", RefContext> = {
  run(b, { x, residual, gamma, beta, out, rows, cols, eps }) {
    const X = b.f32(x), R = residual !== undefined ? b.f32(residual) : null;
    const G = b.f32(gamma), B = b.f32(beta), O = b.f32(out);
    const v = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let c = 0; c < cols; c++) {
        v[c] = X[r * cols + c] + (R ? R[r * cols + c] : 0);
        mean += v[c];
      }
      mean /= cols;
      let variance = 0;
      for (let c = 0; c < cols; c++) variance += (v[c] - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / cols + eps);
      for (let c = 0; c < cols; c++) O[r * cols + c] = (v[c] - mean) * inv * G[c] + B[c];
    }
  },
};

export const layerNormBackward: Kernel<"layerNormBackward", RefContext> = {
  run(b, { x, residual, gamma, gradOut, gradX, rows, cols, eps }) {
    const X = b.f32(x), R = residual !== undefined ? b.f32(residual) : null, G = b.f32(gamma), GO = b.f32(gradOut), GX = b.f32(gradX);
    const xhat = new Float64Array(cols), g = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let c = 0; c < cols; c++) { xhat[c] = X[r * cols + c] + (R ? R[r * cols + c] : 0); mean += xhat[c]; }
      mean /= cols;
      let variance = 0;
      for (let c = 0; c < cols; c++) variance += (xhat[c] - mean) ** 2;
      const rstd = 1 / Math.sqrt(variance / cols + eps);
      let mg = 0, mgx = 0;
      for (let c = 0; c < cols; c++) {
        xhat[c] = (xhat[c] - mean) * rstd;
        g[c] = GO[r * cols + c] * G[c];
        mg += g[c]; mgx += g[c] * xhat[c];
      }
      mg /= cols; mgx /= cols;
      for (let c = 0; c < cols; c++) GX[r * cols + c] = rstd * (g[c] - mg - xhat[c] * mgx);
    }
  },
};
