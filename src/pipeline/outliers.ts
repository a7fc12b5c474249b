// Outlier statistics exactly as GERM's evaluation/validate_sc.py computes them: per real token, at each layer's
// mlp.wo output and mlp.layernorm output, the ∞-norm and kurtosis (biased 4th moment over unbiased std⁴ + 1e-6).

/**
 * Per-token statistics of one activation: one value per token of the sequence.
 * @category Outlier statistics
 */
export interface TokenStats {
  /** max over features of |x| (the ∞-norm of the token's activation). */
  infNorm: Float32Array;
  /** Kurtosis over features: mean (x − μ)⁴ / (σ⁴ + 1e-6), σ the unbiased standard deviation (not excess). */
  kurtosis: Float32Array;
}

/**
 * Per-layer statistics of one sequence, each array [nTokens].
 * @category Outlier statistics
 */
export interface LayerStats {
  /** At the output of the layer's `mlp.wo` (the FFN output). */
  wo: TokenStats;
  /** At the output of the layer's `mlp.layernorm` (the layer's output). */
  layernorm: TokenStats;
  /** The raw `mlp.wo` output [nTokens × hidden], with `activations: true`. */
  woActivations?: Float32Array;
  /** The raw `mlp.layernorm` output [nTokens × hidden], with `activations: true`. */
  layernormActivations?: Float32Array;
}

/**
 * validate_sc.py's summary: means over every token of every input (long sequences weigh more).
 * @category Outlier statistics
 */
export interface OutlierSummary {
  /** Module name (`bert.encoder.layer.{j}.mlp.wo` / `.mlp.layernorm`) → mean ∞-norm and mean kurtosis. */
  modules: Record<string, {
    /** Mean ∞-norm over every token. */
    infNormMean: number;
    /** Mean kurtosis over every token. */
    kurtosisMean: number;
  }>;
  /** Largest mean ∞-norm over the `mlp.wo` modules. */
  maxFfnOutInfNorm: number;
  /** Largest mean ∞-norm over the `mlp.layernorm` modules. */
  maxLnOutInfNorm: number;
  /** Mean of the 2 × layers module kurtosis means. */
  avgKurtosis: number;
  /** Largest module kurtosis mean. */
  maxKurtosis: number;
}

/**
 * What {@link GermModel.outliers} returns (docs/checkpoints.md has the exact definitions).
 * @category Outlier statistics
 */
export interface OutlierReport {
  /** Per input, in input order: one LayerStats per encoder layer. */
  sequences: {
    /** Index j: encoder layer j. */
    layers: LayerStats[];
  }[];
  /** The summary over all inputs. */
  summary: OutlierSummary;
}

/**
 * ∞-norm and kurtosis of each token from its row moments (rowStats: max|x|, mean, Σ(x−mean)², Σ(x−mean)⁴, 4 per
 * row) over `cols` features: kurtosis = (m4 / cols) / (var_unbiased² + 1e-6), as validate_sc.py computes it.
 */
export function statsFromMoments(moments: Float32Array, cols: number): TokenStats {
  const rows = moments.length / 4;
  const infNorm = new Float32Array(rows), kurtosis = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const varUnbiased = moments[4 * r + 2] / (cols - 1);
    infNorm[r] = moments[4 * r];
    kurtosis[r] = moments[4 * r + 3] / cols / (varUnbiased * varUnbiased + 1e-6);
  }
  return { infNorm, kurtosis };
}

export function summarize(sequences: { layers: LayerStats[] }[], numLayers: number): OutlierSummary {
  const modules: OutlierSummary["modules"] = {};
  for (let j = 0; j < numLayers; j++) {
    for (const kind of ["wo", "layernorm"] as const) {
      let inf = 0, kurt = 0, n = 0;
      for (const s of sequences) {
        const st = s.layers[j][kind];
        for (let t = 0; t < st.infNorm.length; t++) { inf += st.infNorm[t]; kurt += st.kurtosis[t]; n++; }
      }
      modules[`bert.encoder.layer.${j}.mlp.${kind}`] = { infNormMean: inf / n, kurtosisMean: kurt / n };
    }
  }
  const entries = Object.entries(modules);
  const kurts = entries.map(([, m]) => m.kurtosisMean);
  return {
    modules,
    maxFfnOutInfNorm: Math.max(...entries.filter(([k]) => k.endsWith(".wo")).map(([, m]) => m.infNormMean)),
    maxLnOutInfNorm: Math.max(...entries.filter(([k]) => k.endsWith("layernorm")).map(([, m]) => m.infNormMean)),
    avgKurtosis: kurts.reduce((a, b) => a + b, 0) / kurts.length,
    maxKurtosis: Math.max(...kurts),
  };
}
