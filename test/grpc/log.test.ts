import { expect } from 'chai';

import { LOG_LEVELS, type LogLevel } from '../../src/grpc/config.js';
import { createLogger, scoped } from '../../src/grpc/log.js';

/** A pino destination that keeps each written line; pino writes to it synchronously. */
function memory(): { lines: string[]; records: () => Record<string, unknown>[]; write: (line: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    write: (line: string) => {
      lines.push(line);
    },
  };
}

describe('grpc/log', () => {
  it('writes one JSON object per line with service, ISO time, level name and message', () => {
    const out = memory();
    const log = createLogger('DEBUG', out);
    log.info({ vips: ['20.0.0.1/32'] }, 'vips set');
    expect(out.lines).to.have.length(1);
    const line = out.lines[0] ?? '';
    expect(line.endsWith('\n')).to.equal(true);
    expect(line.slice(0, -1)).to.not.include('\n');
    const record = out.records()[0] ?? {};
    expect(record).to.include({ level: 'info', service: 'tapa', msg: 'vips set' });
    expect(record['vips']).to.deep.equal(['20.0.0.1/32']);
    expect(record).to.not.have.property('pid');
    expect(record).to.not.have.property('hostname');
    const time = record['time'];
    expect(time).to.be.a('string');
    expect(new Date(time as string).toISOString()).to.equal(time);
  });

  const order: LogLevel[] = [...LOG_LEVELS];
  for (const level of LOG_LEVELS) {
    it(`at ${level}, logs ${level} and above and suppresses the levels below`, () => {
      const out = memory();
      const log = createLogger(level, out);
      log.trace('t');
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      const want = order.slice(order.indexOf(level)).map((l) => l.toLowerCase());
      expect(out.records().map((r) => r['level'])).to.deep.equal(want);
      expect(log.level).to.equal(level.toLowerCase());
    });
  }

  it('scoped loggers carry trench, conduit and stream on every line', () => {
    const out = memory();
    const log = createLogger('INFO', out);
    scoped(log, { trench: 'trench-a' }).info('trench');
    scoped(log, { trench: 'trench-a', conduit: 'conduit-a' }).warn('conduit');
    const stream = scoped(log, { trench: 'trench-a', conduit: 'conduit-a', stream: 'stream-a' });
    stream.error({ err: new Error('refused') }, 'open failed');
    stream.debug('suppressed');
    const [trench, conduit, opened, ...rest] = out.records();
    expect(rest).to.deep.equal([]);
    expect(trench).to.include({ level: 'info', service: 'tapa', trench: 'trench-a', msg: 'trench' });
    expect(trench).to.not.have.property('conduit');
    expect(trench).to.not.have.property('stream');
    expect(conduit).to.include({ level: 'warn', trench: 'trench-a', conduit: 'conduit-a', msg: 'conduit' });
    expect(conduit).to.not.have.property('stream');
    expect(opened).to.include({ level: 'error', trench: 'trench-a', conduit: 'conduit-a', stream: 'stream-a' });
    expect((opened?.['err'] as { message?: unknown } | undefined)?.message).to.equal('refused');
  });

  it('a scoped logger keeps its parent level', () => {
    const out = memory();
    const stream = scoped(createLogger('WARN', out), { trench: 't', conduit: 'c', stream: 's' });
    stream.info('below');
    stream.warn('at');
    expect(out.records().map((r) => r['msg'])).to.deep.equal(['at']);
  });
});
