import { expect } from 'chai';

import { ConfigError, loadConfig, nspAddressOf, type Config } from '../../src/grpc/config.js';

const defaults: Config = {
  name: 'nsc',
  node: '',
  namespace: 'default',
  socket: '/ambassador.sock',
  nsmSocket: '/var/lib/networkservicemesh/nsm.io.sock',
  nspServiceName: 'nsp-service',
  nspServicePort: 7778,
  timeoutMs: 15_000,
  dialTimeoutMs: 5_000,
  maxTokenLifetimeMs: 86_400_000,
  logLevel: 'DEBUG',
  nspEntryTimeoutMs: 30_000,
  grpcMaxBackoffMs: 5_000,
  grpcProbeRpcTimeoutMs: 1_000,
  socketMode: 0o777,
  healthSocket: '/tmp/health.sock',
  nspAddress: undefined,
  spiffeEndpoint: undefined,
  recordEvents: 4096,
  recordDir: undefined,
};

/** Asserts that `env` is rejected with a ConfigError naming `variable` and quoting `value`. */
function rejects(env: Record<string, string>, variable: string, value: string, expected: RegExp): void {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(ConfigError);
  const e = error as ConfigError;
  expect(e.variable).to.equal(variable);
  expect(e.value).to.equal(value);
  expect(e.message.startsWith(`${variable}=${JSON.stringify(value)}: expected `)).to.equal(true, e.message);
  expect(e.message).to.match(expected);
}

describe('grpc/config', () => {
  it("has Go's defaults when nothing is set", () => {
    expect(loadConfig({})).to.deep.equal(defaults);
  });

  it('ignores variables it does not know, including the helm chart NSM_MAX_TOKEN_LIFETIME', () => {
    expect(loadConfig({ PATH: '/bin', NSM_MAX_TOKEN_LIFETIME: '1h', MERIDIO_UNKNOWN: 'x' })).to.deep.equal(defaults);
  });

  it('treats an undefined entry as unset', () => {
    expect(loadConfig({ MERIDIO_TIMEOUT: undefined, MERIDIO_NAME: undefined })).to.deep.equal(defaults);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      MERIDIO_NAME: 'target-a',
      MERIDIO_NODE: 'worker-1',
      MERIDIO_NAMESPACE: 'red',
      MERIDIO_SOCKET: '/var/lib/meridio/ambassador.sock',
      MERIDIO_NSM_SOCKET: 'unix:///run/nsm/nsm.io.sock',
      MERIDIO_NSP_SERVICE_NAME: 'nsp',
      MERIDIO_NSP_SERVICE_PORT: '9000',
      MERIDIO_TIMEOUT: '20s',
      MERIDIO_DIAL_TIMEOUT: '1m30s',
      MERIDIO_MAX_TOKEN_LIFETIME: '1.5h',
      SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/sockets/agent.sock',
      MERIDIO_LOG_LEVEL: 'info',
      MERIDIO_NSP_ENTRY_TIMEOUT: '300ms',
      MERIDIO_GRPC_MAX_BACKOFF: '2s',
      MERIDIO_GRPC_PROBE_RPC_TIMEOUT: '1500us',
      MERIDIO_SOCKET_MODE: '0660',
      MERIDIO_HEALTH_SOCKET: '/run/tapa/health.sock',
      MERIDIO_NSP_ADDRESS: '127.0.0.1:7778',
      MERIDIO_RECORD_EVENTS: '100',
      MERIDIO_RECORD_DIR: '/var/lib/tapa/recordings',
    });
    expect(config).to.deep.equal({
      name: 'target-a',
      node: 'worker-1',
      namespace: 'red',
      socket: '/var/lib/meridio/ambassador.sock',
      nsmSocket: '/run/nsm/nsm.io.sock',
      nspServiceName: 'nsp',
      nspServicePort: 9000,
      timeoutMs: 20_000,
      dialTimeoutMs: 90_000,
      maxTokenLifetimeMs: 5_400_000,
      logLevel: 'INFO',
      nspEntryTimeoutMs: 300,
      grpcMaxBackoffMs: 2_000,
      grpcProbeRpcTimeoutMs: 1.5,
      socketMode: 0o660,
      healthSocket: '/run/tapa/health.sock',
      nspAddress: '127.0.0.1:7778',
      spiffeEndpoint: 'unix:///run/spire/sockets/agent.sock',
      recordEvents: 100,
      recordDir: '/var/lib/tapa/recordings',
    } satisfies Config);
  });

  describe('unprefixed fallbacks', () => {
    // [unprefixed variable, its value, the field, the value read; a prefixed value, the value read]
    const fallbacks: [string, string, keyof Config, unknown, string, unknown][] = [
      ['NSM_SOCKET', 'unix:///a.sock', 'nsmSocket', '/a.sock', 'unix:///b.sock', '/b.sock'],
      ['NSP_SERVICE_NAME', 'nsp-x', 'nspServiceName', 'nsp-x', 'nsp-y', 'nsp-y'],
      ['NSP_SERVICE_PORT', '1234', 'nspServicePort', 1234, '4321', 4321],
      ['NSP_ENTRY_TIMEOUT', '1m', 'nspEntryTimeoutMs', 60_000, '2m', 120_000],
      ['GRPC_MAX_BACKOFF', '10s', 'grpcMaxBackoffMs', 10_000, '20s', 20_000],
      ['GRPC_PROBE_RPC_TIMEOUT', '2s', 'grpcProbeRpcTimeoutMs', 2_000, '3s', 3_000],
    ];
    for (const [variable, value, field, want, prefixedValue, prefixedWant] of fallbacks) {
      it(`${variable} is read when MERIDIO_${variable} is unset`, () => {
        expect(loadConfig({ [variable]: value })[field]).to.deep.equal(want);
      });
      it(`MERIDIO_${variable} wins over ${variable}`, () => {
        const config = loadConfig({ [variable]: value, [`MERIDIO_${variable}`]: prefixedValue });
        expect(config[field]).to.deep.equal(prefixedWant);
      });
    }

    it('the prefixed variable wins when both are set, all at once', () => {
      const config = loadConfig({
        MERIDIO_NSM_SOCKET: 'unix:///prefixed.sock',
        NSM_SOCKET: 'unix:///plain.sock',
        MERIDIO_NSP_SERVICE_NAME: 'prefixed',
        NSP_SERVICE_NAME: 'plain',
        MERIDIO_NSP_SERVICE_PORT: '1',
        NSP_SERVICE_PORT: '2',
        MERIDIO_NSP_ENTRY_TIMEOUT: '1s',
        NSP_ENTRY_TIMEOUT: '2s',
        MERIDIO_GRPC_MAX_BACKOFF: '3s',
        GRPC_MAX_BACKOFF: '4s',
        MERIDIO_GRPC_PROBE_RPC_TIMEOUT: '5s',
        GRPC_PROBE_RPC_TIMEOUT: '6s',
      });
      expect(config.nsmSocket).to.equal('/prefixed.sock');
      expect(config.nspServiceName).to.equal('prefixed');
      expect(config.nspServicePort).to.equal(1);
      expect(config.nspEntryTimeoutMs).to.equal(1_000);
      expect(config.grpcMaxBackoffMs).to.equal(3_000);
      expect(config.grpcProbeRpcTimeoutMs).to.equal(5_000);
    });

    it('an empty prefixed string still wins (envconfig: set means present)', () => {
      expect(loadConfig({ MERIDIO_NSP_SERVICE_NAME: '', NSP_SERVICE_NAME: 'plain' }).nspServiceName).to.equal('');
    });

    it('a bad prefixed value is reported even when the fallback is good', () => {
      rejects({ MERIDIO_GRPC_MAX_BACKOFF: '', GRPC_MAX_BACKOFF: '5s' }, 'MERIDIO_GRPC_MAX_BACKOFF', '', /Go duration/);
    });

    it('variables without an explicit envconfig tag have no unprefixed fallback', () => {
      const config = loadConfig({ NAME: 'x', NODE: 'x', NAMESPACE: 'x', SOCKET: 'x', TIMEOUT: '1s', LOG_LEVEL: 'ERROR' });
      expect(config).to.deep.equal(defaults);
    });
  });

  it('keeps an empty string for string variables', () => {
    const config = loadConfig({ MERIDIO_NAME: '', MERIDIO_NAMESPACE: '', MERIDIO_SOCKET: '' });
    expect(config.name).to.equal('');
    expect(config.namespace).to.equal('');
    expect(config.socket).to.equal('');
  });

  it('accepts every log level in any case', () => {
    for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const) {
      expect(loadConfig({ MERIDIO_LOG_LEVEL: level }).logLevel).to.equal(level);
      expect(loadConfig({ MERIDIO_LOG_LEVEL: level.toLowerCase() }).logLevel).to.equal(level);
    }
    expect(loadConfig({ MERIDIO_LOG_LEVEL: 'Trace' }).logLevel).to.equal('TRACE');
  });

  it('decodes percent-escapes in the NSM socket path, as Go url.Parse does', () => {
    expect(loadConfig({ MERIDIO_NSM_SOCKET: 'unix:///run/my%20nsm.sock' }).nsmSocket).to.equal('/run/my nsm.sock');
  });

  it('accepts socket modes with or without the leading 0', () => {
    expect(loadConfig({ MERIDIO_SOCKET_MODE: '777' }).socketMode).to.equal(0o777);
    expect(loadConfig({ MERIDIO_SOCKET_MODE: '0600' }).socketMode).to.equal(0o600);
    expect(loadConfig({ MERIDIO_SOCKET_MODE: '0' }).socketMode).to.equal(0);
  });

  it('MERIDIO_HEALTH_SOCKET: an absolute path, or empty for no health socket', () => {
    expect(loadConfig({ MERIDIO_HEALTH_SOCKET: '/var/run/tapa health.sock' }).healthSocket).to.equal('/var/run/tapa health.sock');
    expect(loadConfig({ MERIDIO_HEALTH_SOCKET: '' }).healthSocket).to.equal(undefined);
  });

  it('accepts an IPv6 NSP address override in brackets', () => {
    expect(loadConfig({ MERIDIO_NSP_ADDRESS: '[::1]:7778' }).nspAddress).to.equal('[::1]:7778');
  });

  describe('invalid values name the variable', () => {
    const durations = [
      'MERIDIO_TIMEOUT',
      'MERIDIO_DIAL_TIMEOUT',
      'MERIDIO_MAX_TOKEN_LIFETIME',
      'MERIDIO_NSP_ENTRY_TIMEOUT',
      'NSP_ENTRY_TIMEOUT',
      'MERIDIO_GRPC_MAX_BACKOFF',
      'GRPC_MAX_BACKOFF',
      'MERIDIO_GRPC_PROBE_RPC_TIMEOUT',
      'GRPC_PROBE_RPC_TIMEOUT',
    ];
    for (const variable of durations) {
      it(`${variable}: not a Go duration`, () => {
        rejects({ [variable]: '15' }, variable, '15', /^[A-Z_]+="15": expected a Go duration such as 15s or 1m30s/);
        rejects({ [variable]: '1d' }, variable, '1d', /unknown unit "d"/);
        rejects({ [variable]: '' }, variable, '', /Go duration/);
      });
      it(`${variable}: zero or negative`, () => {
        rejects({ [variable]: '0' }, variable, '0', /positive duration/);
        rejects({ [variable]: '0s' }, variable, '0s', /positive duration/);
        rejects({ [variable]: '-1s' }, variable, '-1s', /positive duration/);
      });
    }

    it('the documented example message', () => {
      expect(() => loadConfig({ MERIDIO_TIMEOUT: '15' })).to.throw(
        ConfigError,
        'MERIDIO_TIMEOUT="15": expected a Go duration such as 15s or 1m30s',
      );
    });

    for (const variable of ['MERIDIO_NSP_SERVICE_PORT', 'NSP_SERVICE_PORT']) {
      for (const value of ['', '0', '65536', '99999', '-1', '+1', '7778.0', '1e3', '0x1E62', '07778', '010', '7_778', ' 7778', 'http']) {
        it(`${variable}=${JSON.stringify(value)}`, () => {
          rejects({ [variable]: value }, variable, value, /port number from 1 to 65535/);
        });
      }
    }

    it('the port bounds themselves are accepted', () => {
      expect(loadConfig({ MERIDIO_NSP_SERVICE_PORT: '1' }).nspServicePort).to.equal(1);
      expect(loadConfig({ MERIDIO_NSP_SERVICE_PORT: '65535' }).nspServicePort).to.equal(65535);
    });

    for (const value of ['', 'verbose', 'WARNING', 'FATAL', 'debug ', '0']) {
      it(`MERIDIO_LOG_LEVEL=${JSON.stringify(value)}`, () => {
        rejects({ MERIDIO_LOG_LEVEL: value }, 'MERIDIO_LOG_LEVEL', value, /one of TRACE, DEBUG, INFO, WARN, ERROR/);
      });
    }

    for (const variable of ['MERIDIO_NSM_SOCKET', 'NSM_SOCKET']) {
      for (const value of [
        '',
        '/var/lib/networkservicemesh/nsm.io.sock',
        'tcp://127.0.0.1:5001',
        'unix:/var/nsm.sock',
        'unix://',
        'unix:///',
        'unix://host/nsm.sock',
        'unix:///nsm.sock?x=1',
        'UNIX:///nsm.sock',
        'unix:///bad%zz',
      ]) {
        it(`${variable}=${JSON.stringify(value)}`, () => {
          rejects({ [variable]: value }, variable, value, /unix:\/\/ URL/);
        });
      }
    }

    for (const value of ['', '777 ', '0888', '8', '01777', '0o777', 'rwx', '-1']) {
      it(`MERIDIO_SOCKET_MODE=${JSON.stringify(value)}`, () => {
        rejects({ MERIDIO_SOCKET_MODE: value }, 'MERIDIO_SOCKET_MODE', value, /octal permission bits/);
      });
    }

    for (const value of ['health.sock', './health.sock', 'unix:///tmp/health.sock', ' /tmp/health.sock']) {
      it(`MERIDIO_HEALTH_SOCKET=${JSON.stringify(value)}`, () => {
        rejects({ MERIDIO_HEALTH_SOCKET: value }, 'MERIDIO_HEALTH_SOCKET', value, /absolute path/);
      });
    }

    for (const value of ['', 'nsp', 'nsp:', ':7778', 'nsp:0', 'nsp:70000', '::1:7778', 'nsp:7778 ']) {
      it(`MERIDIO_NSP_ADDRESS=${JSON.stringify(value)}`, () => {
        rejects({ MERIDIO_NSP_ADDRESS: value }, 'MERIDIO_NSP_ADDRESS', value, /host:port/);
      });
    }

    for (const value of [
      '',
      '/run/spire/agent.sock',
      'unix:run/agent.sock',
      'unix://',
      'tcp://spire:8081',
      'tcp://10.0.0.1',
      'tcp://10.0.0.1:0',
      'http://10.0.0.1:80',
    ]) {
      it(`SPIFFE_ENDPOINT_SOCKET=${JSON.stringify(value)}`, () => {
        rejects({ SPIFFE_ENDPOINT_SOCKET: value }, 'SPIFFE_ENDPOINT_SOCKET', value, /unix:\/\/\/path\/to\/agent.sock or tcp:\/\/IP:port/);
      });
    }
  });

  describe('the flight recorder', () => {
    it('is on by default, keeping 4096 events', () => {
      expect(loadConfig({}).recordEvents).to.equal(4096);
    });
    it('MERIDIO_RECORD_EVENTS=0 turns it off; an empty MERIDIO_RECORD_DIR means no automatic recordings', () => {
      expect(loadConfig({ MERIDIO_RECORD_EVENTS: '0' }).recordEvents).to.equal(0);
      expect(loadConfig({ MERIDIO_RECORD_DIR: '' }).recordDir).to.equal(undefined);
    });
    for (const value of ['', '-1', '1e3', '010', 'many']) {
      it(`MERIDIO_RECORD_EVENTS=${JSON.stringify(value)} is refused`, () => {
        rejects({ MERIDIO_RECORD_EVENTS: value }, 'MERIDIO_RECORD_EVENTS', value, /a number of events/);
      });
    }
    it('MERIDIO_RECORD_DIR must be absolute', () => {
      rejects({ MERIDIO_RECORD_DIR: 'recordings' }, 'MERIDIO_RECORD_DIR', 'recordings', /an absolute path/);
    });
  });

  describe('SPIFFE_ENDPOINT_SOCKET', () => {
    it('becomes a gRPC target: unix sockets as they are, tcp:// without its scheme', () => {
      expect(loadConfig({ SPIFFE_ENDPOINT_SOCKET: 'unix:///run/spire/sockets/agent.sock' }).spiffeEndpoint).to.equal(
        'unix:///run/spire/sockets/agent.sock',
      );
      expect(loadConfig({ SPIFFE_ENDPOINT_SOCKET: 'tcp://10.0.0.1:8081' }).spiffeEndpoint).to.equal('10.0.0.1:8081');
      expect(loadConfig({ SPIFFE_ENDPOINT_SOCKET: 'tcp://[fd00::1]:8081' }).spiffeEndpoint).to.equal('[fd00::1]:8081');
    });
  });

  describe('nspAddressOf', () => {
    it("builds Go's NSP service address of a trench", () => {
      expect(nspAddressOf(defaults, 'trench-a')).to.equal('nsp-service-trench-a.default:7778');
      const config = loadConfig({ MERIDIO_NAMESPACE: 'red', NSP_SERVICE_NAME: 'nsp', NSP_SERVICE_PORT: '9000' });
      expect(nspAddressOf(config, 'blue')).to.equal('nsp-blue.red:9000');
    });

    it('uses the override for every trench when MERIDIO_NSP_ADDRESS is set', () => {
      const config = loadConfig({ MERIDIO_NSP_ADDRESS: 'localhost:40000', MERIDIO_NAMESPACE: 'red' });
      expect(nspAddressOf(config, 'trench-a')).to.equal('localhost:40000');
      expect(nspAddressOf(config, 'trench-b')).to.equal('localhost:40000');
    });
  });
});
