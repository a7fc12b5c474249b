// Outlier statistics exactly as GERM's evaluation/validate_sc.py computes them: per real token, at each layer's
// mlp.wo output and mlp.layernorm output, the ∞-norm and kurtosis (biased 4th moment over unbiased std⁴ + 1e-6).

export interface TokenStats { infNorm: Float32Array; kurtosis: Float32Array }

/** Per-layer statistics of one sequence, each array [nTokens]. */
export interface LayerStats { wo: TokenStats; layernorm: TokenStats; woActivations?: Float32Array; layernormActivations?: Float32Array }

/** validate_sc.py's summary: means over every token of every input (long sequences weigh more). */
export interface OutlierSummary {
  /** Module name (`bert.encoder.layer.{j}.mlp.wo` / `.mlp.layernorm`) → mean ∞-norm and mean kurtosis. */
  modules: Record<string, { infNormMean: number; kurtosisMean: number }>;
  maxFfnOutInfNorm: number;
  maxLnOutInfNorm: number;
  avgKurtosis: number;
  maxKurtosis: number;
}

export interface OutlierReport { sequences: { layers: LayerStats[] }[]; summary: OutlierSummary }

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
