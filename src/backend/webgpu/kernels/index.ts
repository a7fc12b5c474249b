// The WebGPU backend's kernel table: the ops it implements (one wrapper file per op, its WGSL in shaders/).
import type { KernelTable } from "../../../contract/kernels.js";
import type { KernelContext } from "./context.js";
import { linear } from "./linear.js";
import { attention } from "./attention.js";
import { layerNorm } from "./layer-norm.js";
import { gluGelu } from "./glu-gelu.js";
import { gather } from "./gather.js";
import { meanPool } from "./mean-pool.js";
import { unary } from "./unary.js";
import { rowStats } from "./row-stats.js";
import { lora } from "./lora.js";
import { matmul } from "./matmul.js";
import { attentionBackward } from "./attention-backward.js";
import { layerNormBackward } from "./layer-norm-backward.js";
import { gluGeluBackward } from "./glu-gelu-backward.js";
import { unaryBackward } from "./unary-backward.js";
import { scatterRows } from "./scatter-rows.js";
import { adamw } from "./adamw.js";
import { axpy } from "./axpy.js";
import { fakeQuant } from "./fake-quant.js";
import { dropout } from "./dropout.js";

export const KERNELS: KernelTable<KernelContext> = { linear, attention, layerNorm, gluGelu, gather, meanPool, unary, rowStats, axpy, lora,
  fakeQuant, matmul, attentionBackward, layerNormBackward, gluGeluBackward, unaryBackward, scatterRows, adamw, dropout };
