// adamw → assembly/adamw.ts: the scalar factors (decay, bias corrections, step size) in f64 here, as the reference
// computes them, then rounded once to f32; the elementwise update in f32.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const adamw: Kernel<"adamw", KernelHost> = {
  run(h, { param, grad, m, v, size, lr, beta1, beta2, eps, weightDecay, step }) {
    h.call("adamw", {
      param: h.ptr(param), grad: h.ptr(grad), m: h.ptr(m), v: h.ptr(v), size, decay: 1 - lr * weightDecay,
      beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, bc2: Math.sqrt(1 - beta2 ** step),
      stepSize: lr / (1 - beta1 ** step), eps,
    });
  },
};
