import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The YAML documents of a manifest, each as its lines without comments and blank lines. */
function documents(file: string): string[][] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split(/^---$/m)
    .map((doc) => doc.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#')));
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/** The scalar at a path of keys (no lists), found by indentation: each key a direct child of the one before. */
function field(lines: readonly string[], path: readonly string[]): string | undefined {
  let from = 0;
  let to = lines.length;
  let indent = 0;
  for (const [depth, key] of path.entries()) {
    const found = lines.slice(from, to).findIndex((l) => indentOf(l) === indent && l.trimStart().startsWith(`${key}:`));
    if (found < 0) return undefined;
    const at = from + found;
    if (depth === path.length - 1)
      return lines[at]!.trimStart()
        .slice(key.length + 1)
        .trim();
    from = at + 1;
    to = from;
    while (to < lines.length && indentOf(lines[to]!) > indent) to++;
    indent = from < to ? indentOf(lines[from]!) : -1;
  }
  return undefined;
}

describe('deploy/k8s/hunt-job.yaml', () => {
  const docs = documents('deploy/k8s/hunt-job.yaml');
  const job = docs.find((d) => field(d, ['kind']) === 'Job')!;
  const jobText = job.join('\n');

  it('is a PersistentVolumeClaim and an Indexed Job, each with apiVersion, kind and metadata.name, indented by spaces', () => {
    expect(docs.map((d) => field(d, ['kind']))).to.deep.equal(['PersistentVolumeClaim', 'Job']);
    for (const d of docs) {
      expect(field(d, ['apiVersion'])).to.match(/^(v1|batch\/v1)$/);
      expect(field(d, ['metadata', 'name'])).to.match(/^tapa-hunt/);
      expect(d.join('\n')).to.not.contain('\t');
    }
    expect(field(job, ['spec', 'completionMode'])).to.equal('Indexed');
    expect(field(job, ['spec', 'template', 'spec', 'restartPolicy'])).to.equal('Never');
  });

  it('runs shard $JOB_COMPLETION_INDEX of as many shards as the Job has completions', () => {
    const completions = Number(field(job, ['spec', 'completions']));
    expect(completions).to.be.greaterThan(1);
    expect(Number(field(job, ['spec', 'parallelism']))).to.be.within(1, completions);
    const shards = [
      ...jobText.matchAll(/--shard "?\$(?:\{JOB_COMPLETION_INDEX\}|JOB_COMPLETION_INDEX|\(JOB_COMPLETION_INDEX\))\/([0-9]+)"?/g),
    ];
    expect(shards).to.have.length(1);
    expect(Number(shards[0]![1])).to.equal(completions);
  });

  it('overrides the image\'s `tapa serve` with tapa-sim, turning "found" (exit 1) into a result and keeping exit 2 a failure', () => {
    expect(jobText).to.match(/node dist\/sim\/cli\/main\.js hunt /);
    expect(jobText).to.match(/out="\/results\/shard-\$JOB_COMPLETION_INDEX"[\s\S]*--out "\$out"/);
    expect(jobText).to.match(/mountPath: \/results\n/);
    expect(jobText).to.match(/"\$code" -eq 1 \]/);
    expect(jobText).to.match(/action: FailJob[\s\S]*values: \[2\]/);
  });

  it('runs as non-root with resource requests', () => {
    expect(field(job, ['spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'])).to.equal('true');
    expect(jobText).to.match(/allowPrivilegeEscalation: false/);
    expect(jobText).to.match(/requests:\n\s+cpu: ["']?[0-9]/);
    expect(jobText).to.match(/ghcr\.io\/OWNER\/tapa:latest/);
  });
});
