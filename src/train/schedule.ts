// Learning-rate schedules as the HF Trainer steps them (optimizer step t = 0, 1, …): linear warm-up, then linear
// decay to 0 at the last step (get_linear_schedule_with_warmup), or constant after the warm-up.

export function learningRate(base: number, step: number, total: number, warmup: number, schedule: "linear" | "constant"): number {
  if (step < warmup) return (base * step) / Math.max(1, warmup);
  if (schedule === "constant") return base;
  return base * Math.max(0, (total - step) / Math.max(1, total - warmup));
}
