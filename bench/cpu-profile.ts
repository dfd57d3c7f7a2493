/** A V8 CPU profile (.cpuprofile) summed by self time per function: the top frames, for benchmarks. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  /** `function file:line` (file relative to the repository or node_modules). */
  frame: string;
  ms: number;
  share: number;
}

/** Functions by self time, largest first. */
export function topFrames(profile: CpuProfile, n = 20): Frame[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const cf = byId.get(id)?.callFrame;
    if (!cf) return;
    const file = cf.url
      .replace(/^.*\/node_modules\//, '')
      .replace(/^file:\/\/.*?\/(?=(cloud|wire|bench)\/)/, '');
    const key = `${cf.functionName || '(anonymous)'} ${file}${file ? `:${cf.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: total ? us / total : 0 }));
}
