// The reference backend: plain TypeScript loops with float64 accumulation. It is the oracle every other
// backend is tested against, so it favours obviousness over speed.
import type { Backend, BackendCaps, BufferId } from "../backend.js";
import type { OpArgs, OpName } from "../../ops/spec.js";
import { BackendError } from "../../errors.js";
import { geluErf } from "../../ops/math.js";
import type { DType } from "../../tensor/tensor.js";
import { f16BitsToF32 } from "../../tensor/half.js";

export class ReferenceBackend implements Backend {
  readonly name = "reference" as const;
  readonly caps: Readonly<BackendCaps> = {
    threads: 1, simd: false, relaxedSimd: false, f16: false,
    maxBufferBytes: 2 ** 31 - 1, description: "plain TypeScript, float64 accumulation",
  };
  private buffers = new Map<number, Float32Array>();
  /**
   * The stored half bits of each f16 buffer (what upload wrote and download returns). Its entry in `buffers` is
   * the same values widened to f32, refreshed at upload, so every kernel reads plain f32: linear then computes
   * with exactly the f16-rounded weights, in f64, and is the oracle for the WebGPU f16 kernel.
   */
  private halves = new Map<number, Uint16Array>();
  private nextId = 1;
  private dispatches = 0;

  /** Everything, f16 weights included (held widened, see `halves`). */
  supports(): true { return true; }

  alloc(byteLength: number, dtype: DType = "f32"): BufferId {
    if (byteLength % 4 !== 0) throw new BackendError(`reference: alloc(${byteLength}): byte length must be a multiple of 4`);
    const id = this.nextId++;
    if (dtype === "f16") {
      this.halves.set(id, new Uint16Array(byteLength / 2));
      this.buffers.set(id, new Float32Array(byteLength / 2));
    } else {
      this.buffers.set(id, new Float32Array(byteLength / 4));
    }
    return id as BufferId;
  }

  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset = 0): void {
    const wide = this.get(dst), half = this.halves.get(dst);
    const buf = half ?? wide;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (dstByteOffset + src.byteLength > bytes.byteLength) {
      throw new BackendError(`reference: upload of ${src.byteLength} bytes at ${dstByteOffset} overflows buffer of ${bytes.byteLength}`);
    }
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), dstByteOffset);
    if (half) {
      const end = Math.ceil((dstByteOffset + src.byteLength) / 2);
      for (let i = Math.floor(dstByteOffset / 2); i < end; i++) wide[i] = f16BitsToF32(half[i]);
    }
  }

  async download(src: BufferId, byteOffset = 0, byteLength?: number): Promise<Uint8Array> {
    const buf = this.halves.get(src) ?? this.get(src);
    const len = byteLength ?? buf.byteLength - byteOffset;
    return new Uint8Array(buf.buffer, buf.byteOffset + byteOffset, len).slice();
  }

  free(buf: BufferId): void { this.buffers.delete(buf); this.halves.delete(buf); }
  async flush(): Promise<void> {}
  stats() {
    let bytesLive = 0;
    for (const [id, b] of this.buffers) bytesLive += this.halves.get(id)?.byteLength ?? b.byteLength;
    return { bytesLive, buffers: this.buffers.size, dispatches: this.dispatches };
  }
  dispose(): void { this.buffers.clear(); this.halves.clear(); }

  run<K extends OpName>(op: K, args: OpArgs[K]): void {
    this.dispatches++;
    const kernel = KERNELS[op] as (b: ReferenceBackend, a: OpArgs[K]) => void;
    kernel(this, args);
  }

  /** Float32 view of a buffer (kernels only; an f16 buffer's widened copy). */
  get(id: BufferId): Float32Array {
    const buf = this.buffers.get(id);
    if (!buf) throw new BackendError(`reference: buffer ${id} was freed or never allocated`);
    return buf;
  }
}

type Kernels = { [K in OpName]: (b: ReferenceBackend, a: OpArgs[K]) => void };

const KERNELS: Kernels = {
  linear(b, { x, w, bias, out, m, n, k }) {
    const X = b.get(x), W = b.get(w), B = bias !== undefined ? b.get(bias) : null, O = b.get(out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = B ? B[j] : 0;
        for (let t = 0; t < k; t++) acc += X[i * k + t] * W[j * k + t];
        O[i * n + j] = acc;
      }
    }
  },

  attention(b, { qkv, out, seqLens, heads, headDim, softmax, slopes, keyMask }) {
    const QKV = b.get(qkv), O = b.get(out);
    const H = heads * headDim, stride = 3 * H, scale = 1 / Math.sqrt(headDim);
    let base = 0;
    for (const n of seqLens) {
      const scores = new Float64Array(n);
      for (let h = 0; h < heads; h++) {
        const qOff = h * headDim, kOff = H + h * headDim, vOff = 2 * H + h * headDim;
        for (let i = 0; i < n; i++) {
          let m = -Infinity;
          for (let j = 0; j < n; j++) {
            if (keyMask && keyMask[base + j] === 0) { scores[j] = -Infinity; continue; }
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += QKV[(base + i) * stride + qOff + d] * QKV[(base + j) * stride + kOff + d];
            scores[j] = dot * scale - slopes[h] * Math.abs(i - j);
            if (scores[j] > m) m = scores[j];
          }
          const o = (base + i) * H + h * headDim;
          if (m === -Infinity) { for (let d = 0; d < headDim; d++) O[o + d] = 0; continue; }
          let denom = softmax === "softmax1" ? Math.exp(-m) : 0;
          for (let j = 0; j < n; j++) denom += scores[j] === -Infinity ? 0 : Math.exp(scores[j] - m);
          for (let d = 0; d < headDim; d++) {
            let acc = 0;
            for (let j = 0; j < n; j++) {
              if (scores[j] !== -Infinity) acc += Math.exp(scores[j] - m) * QKV[(base + j) * stride + vOff + d];
            }
            // softmax1 with m < -709 makes exp(-m) infinite: the row is 0, as in float32 PyTorch.
            O[o + d] = denom === Infinity ? 0 : acc / denom;
          }
        }
      }
      base += n;
    }
  },

  layerNorm(b, { x, residual, gamma, beta, out, rows, cols, eps }) {
    const X = b.get(x), R = residual !== undefined ? b.get(residual) : null;
    const G = b.get(gamma), B = b.get(beta), O = b.get(out);
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

  gluGelu(b, { x, out, rows, inner }) {
    const X = b.get(x), O = b.get(out);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < inner; i++) O[r * inner + i] = geluErf(X[r * 2 * inner + i]) * X[r * 2 * inner + inner + i];
    }
  },

  gather(b, { table, ids, addRow, out, tableRows, cols }) {
    const T = b.get(table), A = addRow !== undefined ? b.get(addRow) : null, O = b.get(out);
    ids.forEach((id, r) => {
      if (id < 0 || id >= tableRows) throw new BackendError(`reference: gather: id ${id} at row ${r} outside table of ${tableRows} rows`);
      for (let c = 0; c < cols; c++) O[r * cols + c] = T[id * cols + c] + (A ? A[c] : 0);
    });
  },

  meanPool(b, { x, out, seqLens, cols }) {
    const X = b.get(x), O = b.get(out);
    let base = 0;
    seqLens.forEach((n, s) => {
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let r = 0; r < n; r++) acc += X[(base + r) * cols + c];
        O[s * cols + c] = n > 0 ? acc / n : 0;
      }
      base += n;
    });
  },

  unary(b, { x, out, size, kind }) {
    const X = b.get(x), O = b.get(out);
    const f = kind === "tanh" ? Math.tanh : geluErf;
    for (let i = 0; i < size; i++) O[i] = f(X[i]);
  },
};
