// adamw (reference): torch 1.13's _single_tensor_adamw, the f32 tensors updated with float64 scalars step by step.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const adamw: Kernel<"adamw", RefContext> = {
  run(b, { param, grad, m, v, size, lr, beta1, beta2, eps, weightDecay, step }) {
    const P = b.f32(param), G = b.f32(grad), M = b.f32(m), V = b.f32(v);
    const bc1 = 1 - beta1 ** step, bc2 = Math.sqrt(1 - beta2 ** step), stepSize = lr / bc1;
    for (let i = 0; i < size; i++) {
      P[i] = P[i] * (1 - lr * weightDecay);
      M[i] = beta1 * M[i] + (1 - beta1) * G[i];
      V[i] = beta2 * V[i] + (1 - beta2) * G[i] * G[i];
      P[i] = P[i] - stepSize * (M[i] / (Math.sqrt(V[i]) / bc2 + eps));
    }
  },
};
