// Losses on the host: the logits of a batch are [sequences, labels], tiny next to the encoder, so the loss and its
// gradient are computed in float64 here and the gradient is uploaded as the backward pass's seed.

/** Mean cross-entropy (torch's CrossEntropyLoss) and dL/dz = (softmax(z) − onehot(y)) / B. */
export function crossEntropy(logits: Float32Array, labels: ArrayLike<number>, classes: number): { loss: number; grad: Float32Array } {
  const B = labels.length, grad = new Float32Array(B * classes);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const y = labels[i], row = logits.subarray(i * classes, (i + 1) * classes);
    let m = -Infinity;
    for (const v of row) m = Math.max(m, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - m);
    loss += m + Math.log(sum) - row[y];
    for (let c = 0; c < classes; c++) grad[i * classes + c] = (Math.exp(row[c] - m) / sum - (c === y ? 1 : 0)) / B;
  }
  return { loss: loss / B, grad };
}

/** Mean squared error (torch's MSELoss, one output per sequence) and dL/dz = 2(z − y) / B. */
export function meanSquaredError(logits: Float32Array, labels: ArrayLike<number>): { loss: number; grad: Float32Array } {
  const B = labels.length, grad = new Float32Array(B);
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const d = logits[i] - labels[i];
    loss += d * d;
    grad[i] = (2 * d) / B;
  }
  return { loss: loss / B, grad };
}
