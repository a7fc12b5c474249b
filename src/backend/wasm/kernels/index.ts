// The Wasm backend's kernel table: the ops it implements (one wrapper file per op family).
import type { KernelTable } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";
import { linear } from "./linear.js";
import { attention } from "./attention.js";
import { layerNorm, layerNormBackward } from "./layer-norm.js";
import { gluGelu, gluGeluBackward, unary, unaryBackward } from "./glu-gelu.js";
import { gather, meanPool, scatterRows } from "./gather.js";
import { rowStats } from "./row-stats.js";
import { axpy } from "./axpy.js";
import { fakeQuant } from "./fake-quant.js";
import { lora } from "./lora.js";
import { matmul } from "./matmul.js";
import { attentionBackward } from "./attention-backward.js";
import { adamw } from "./adamw.js";
import { dropout } from "./dropout.js";

export const KERNELS: KernelTable<KernelHost> = { linear, attention, layerNorm, gluGelu, gather, meanPool, unary, rowStats, axpy, fakeQuant, lora,
  matmul, attentionBackward, layerNormBackward, gluGeluBackward, unaryBackward, scatterRows, adamw, dropout };
