import { expect } from 'chai';

import { LOG_LEVELS, type LogLevel } from '../../src/grpc/config.js';
import { changeLevel, createLogger, goTimestamp } from '../../src/grpc/log.js';

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

// 2024-05-06T07:08:09.120Z
const AT = Date.UTC(2024, 4, 6, 7, 8, 9, 120);

describe('grpc/log', () => {
  it("golden line: the Go TAPA's zap fields, in its order, with the line's fields in extra_data", () => {
    const out = memory();
    const log = createLogger('DEBUG', out, () => AT);
    log.info({ vips: ['20.0.0.1/32'], err: new Error('refused') }, 'vips set');
    const timestamp = goTimestamp(AT, -new Date(AT).getTimezoneOffset());
    expect(out.lines).to.deep.equal([
      `{"severity":"info","timestamp":"${timestamp}","service_id":"Meridio-tapa","message":"vips set","version":"1.0.0","extra_data":{"vips":["20.0.0.1/32"],"err":"refused"}}\n`,
    ]);
  });

  it("timestamps in Go's layout 2006-01-02T15:04:05.999-07:00: trailing zeros of the milliseconds trimmed, a numeric zone", () => {
    expect(goTimestamp(AT, 0)).to.equal('2024-05-06T07:08:09.12+00:00');
    expect(goTimestamp(AT + 3, 0)).to.equal('2024-05-06T07:08:09.123+00:00');
    expect(goTimestamp(AT - 120, 0)).to.equal('2024-05-06T07:08:09+00:00');
    expect(goTimestamp(AT - 20, 120)).to.equal('2024-05-06T09:08:09.1+02:00');
    expect(goTimestamp(AT, -420)).to.equal('2024-05-06T00:08:09.12-07:00');
    expect(goTimestamp(AT, 330)).to.equal('2024-05-06T12:38:09.12+05:30');
    expect(goTimestamp(Date.UTC(2024, 0, 1, 0, 30), -60)).to.equal('2023-12-31T23:30:00-01:00');
  });

  it('severity names as Go writes them: trace lines are debug, warn is warning, fatal is critical', () => {
    const out = memory();
    const log = createLogger('TRACE', out, () => AT);
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(out.records().map((r) => [r['severity'], r['message']])).to.deep.equal([
      ['debug', 't'],
      ['debug', 'd'],
      ['info', 'i'],
      ['warning', 'w'],
      ['error', 'e'],
      ['critical', 'f'],
    ]);
  });

  it('a line without fields has an empty extra_data; an Error alone gives the message and an error field', () => {
    const out = memory();
    const log = createLogger('INFO', out);
    log.info('plain %s', 'text');
    log.error(new Error('boom'));
    const [plain, error] = out.records();
    expect(plain).to.include({ message: 'plain text' });
    expect(plain?.['extra_data']).to.deep.equal({});
    expect(error).to.include({ severity: 'error', message: 'boom' });
    expect(error?.['extra_data']).to.deep.equal({ error: 'boom' });
    for (const record of out.records()) expect(record).to.not.have.any.keys('pid', 'hostname', 'msg', 'level', 'time');
  });

  const order: LogLevel[] = [...LOG_LEVELS];
  for (const level of LOG_LEVELS) {
    it(`at ${level}, logs ${level} and above and suppresses the levels below`, () => {
      const out = memory();
      const log = createLogger(level, out);
      log.trace('TRACE');
      log.debug('DEBUG');
      log.info('INFO');
      log.warn('WARN');
      log.error('ERROR');
      expect(out.records().map((r) => r['message'])).to.deep.equal(order.slice(order.indexOf(level)));
      expect(log.level).to.equal(level.toLowerCase());
    });
  }

  it('changeLevel: the new level holds, and the change is said in a line seen whichever way it goes', () => {
    const out = memory();
    const log = createLogger('ERROR', out);
    changeLevel(log, 'TRACE');
    log.trace('now seen');
    changeLevel(log, 'ERROR');
    log.warn('hidden again');
    changeLevel(log, 'ERROR');
    expect(out.records().map((r) => [r['message'], r['extra_data']])).to.deep.equal([
      ['log level changed to TRACE', { from: 'ERROR', to: 'TRACE' }],
      ['now seen', {}],
      ['log level changed to ERROR', { from: 'TRACE', to: 'ERROR' }],
    ]);
  });
});
