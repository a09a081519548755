// Wire-format checks for the generated protobuf code in src/wire.
//
// The hex fixtures below are worked out by hand from the .proto field numbers
// and wire types, NOT copied from the encoder. A tag byte is
// (field_number << 3) | wire_type, with wire type 0 = varint and 2 = length
// delimited (strings, nested messages, map entries). Every length here is
// below 128, so each length is a single varint byte. proto3 leaves out scalar
// fields that hold their default value (0, "", enum value 0).

import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';

import { StreamResponse as TapStreamResponse, StreamStatus_Status, TapService } from '../src/wire/ambassador/v1/tap.js';
import { ConfigurationManagerService } from '../src/wire/nsp/v1/configurationmanager.js';
import { SpiffeWorkloadAPIService, X509SVID } from '../src/wire/spiffe/workload/workload.js';
import { Target, Target_Status, Target_Type, TargetRegistryService } from '../src/wire/nsp/v1/targetregistry.js';
import { NetworkServiceService } from '../src/wire/networkservice/networkservice.js';
import { MonitorConnectionService } from '../src/wire/networkservice/connection.js';

/** Hex of the UTF-8 bytes of `s`. */
function utf8(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

/**
 * A length prefix followed by a string payload. `len` is the hand-counted
 * byte length; it is checked here so a miscount fails loudly instead of
 * silently producing a wrong fixture.
 */
function lenStr(len: number, s: string): string {
  const actual = Buffer.byteLength(s, 'utf8');
  if (actual !== len) {
    throw new Error(`fixture miscount: "${s}" has ${actual} bytes, not ${len}`);
  }
  return len.toString(16).padStart(2, '0') + utf8(s);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

describe('wire format (hand-computed fixtures)', () => {
  describe('nsp.v1.Target', () => {
    const target: Target = {
      ips: ['172.16.0.2/24', 'fd00::2/64'],
      context: { identifier: '3' },
      status: Target_Status.DISABLED,
      type: Target_Type.DEFAULT,
      stream: {
        name: 'stream-a1',
        conduit: {
          name: 'load-balancer-a1',
          trench: { name: 'trench-a' },
          destinationPortNats: [],
        },
        maxTargets: 0,
      },
    };

    // nsp.v1.Trench{name:"trench-a"}: 2 + 8 = 10 bytes
    const trenchA = [
      '0a',
      lenStr(0x08, 'trench-a'), //    field 1 (name), LEN, 8 bytes
    ].join('');
    // nsp.v1.Conduit: 18 + 12 = 30 (0x1e) bytes; destinationPortNats empty
    const conduitA1 = [
      '0a',
      lenStr(0x10, 'load-balancer-a1'), // field 1 (name), LEN, 16 bytes
      '12',
      '0a',
      trenchA, //              field 2 (trench), LEN, 10 bytes
    ].join('');
    // nsp.v1.Stream: 11 + 32 = 43 (0x2b) bytes; maxTargets=0 omitted
    const streamA1 = [
      '0a',
      lenStr(0x09, 'stream-a1'), //  field 1 (name), LEN, 9 bytes
      '12',
      '1e',
      conduitA1, //            field 2 (conduit), LEN, 30 bytes
    ].join('');
    // map<string,string> entry {key:"identifier", value:"3"}: 12 + 3 = 15 (0x0f) bytes
    const contextEntry = [
      '0a',
      lenStr(0x0a, 'identifier'), // entry field 1 (key), LEN, 10 bytes
      '12',
      lenStr(0x01, '3'), //          entry field 2 (value), LEN, 1 byte
    ].join('');
    const fixture = [
      '0a',
      lenStr(0x0d, '172.16.0.2/24'), // field 1 (ips[0]), LEN, 13 bytes
      '0a',
      lenStr(0x0a, 'fd00::2/64'), //    field 1 (ips[1]), LEN, 10 bytes
      '12',
      '0f',
      contextEntry, //            field 2 (context entry), LEN, 15 bytes
      '18',
      '01', //                          field 3 (status), VARINT, DISABLED = 1
      //                                      field 4 (type) = DEFAULT = 0: omitted
      '2a',
      '2b',
      streamA1, //                field 5 (stream), LEN, 43 bytes
    ].join('');

    it('fixture has the hand-counted size', () => {
      // 15 + 12 + 17 + 2 + 45
      expect(fixture.length / 2).to.equal(91);
    });

    it('encodes to the fixture', () => {
      expect(hex(Target.encode(target).finish())).to.equal(fixture);
    });

    it('decodes the fixture back', () => {
      expect(Target.decode(fromHex(fixture))).to.deep.equal(target);
    });

    it('decodes status and type when present and default when absent', () => {
      const enabledFrontend = Target.decode(fromHex('2001')); // field 4 (type) = FRONTEND
      expect(enabledFrontend.status).to.equal(Target_Status.ENABLED);
      expect(enabledFrontend.type).to.equal(Target_Type.FRONTEND);
    });
  });

  describe('ambassador.v1.StreamResponse', () => {
    const response: TapStreamResponse = {
      streamStatus: [
        {
          status: StreamStatus_Status.OPEN,
          stream: {
            name: 'stream-a1',
            conduit: { name: 'load-balancer-a1', trench: { name: 'trench-a' } },
          },
        },
        {
          status: StreamStatus_Status.UNDEFINED,
          stream: {
            name: 'tcp-stream',
            conduit: { name: 'conduit-b', trench: { name: 'trench-b' } },
          },
        },
      ],
    };

    // First entry: ambassador.v1.Stream "stream-a1" / "load-balancer-a1" / "trench-a"
    const trenchA = ['0a', lenStr(0x08, 'trench-a')].join(''); //              10 bytes
    const conduitA1 = [
      '0a',
      lenStr(0x10, 'load-balancer-a1'), // name, 18 bytes with tag+len
      '12',
      '0a',
      trenchA, //                    trench, LEN 10 -> 12 bytes
    ].join(''); //                                                              30 (0x1e)
    const streamA1 = [
      '0a',
      lenStr(0x09, 'stream-a1'), //        name, 11 bytes with tag+len
      '12',
      '1e',
      conduitA1, //                  conduit, LEN 30 -> 32 bytes
    ].join(''); //                                                              43 (0x2b)
    const statusOpen = [
      //                                         field 1 (status) = OPEN = 0: omitted
      '12',
      '2b',
      streamA1, //                   field 2 (stream), LEN, 43 bytes
    ].join(''); //                                                              45 (0x2d)

    // Second entry: "tcp-stream" / "conduit-b" / "trench-b", status UNDEFINED
    const trenchB = ['0a', lenStr(0x08, 'trench-b')].join(''); //              10 bytes
    const conduitB = [
      '0a',
      lenStr(0x09, 'conduit-b'), //        name, 11 bytes with tag+len
      '12',
      '0a',
      trenchB, //                    trench, LEN 10 -> 12 bytes
    ].join(''); //                                                              23 (0x17)
    const tcpStream = [
      '0a',
      lenStr(0x0a, 'tcp-stream'), //       name, 12 bytes with tag+len
      '12',
      '17',
      conduitB, //                   conduit, LEN 23 -> 25 bytes
    ].join(''); //                                                              37 (0x25)
    const statusUndefined = [
      '08',
      '03', //                             field 1 (status), VARINT, UNDEFINED = 3
      '12',
      '25',
      tcpStream, //                  field 2 (stream), LEN, 37 bytes
    ].join(''); //                                                              41 (0x29)

    const fixture = [
      '0a',
      '2d',
      statusOpen, //      field 1 (streamStatus[0]), LEN, 45 bytes
      '0a',
      '29',
      statusUndefined, // field 1 (streamStatus[1]), LEN, 41 bytes
    ].join('');

    it('fixture has the hand-counted size', () => {
      expect(fixture.length / 2).to.equal(2 + 45 + 2 + 41);
    });

    it('encodes to the fixture', () => {
      expect(hex(TapStreamResponse.encode(response).finish())).to.equal(fixture);
    });

    it('decodes the fixture back', () => {
      expect(TapStreamResponse.decode(fromHex(fixture))).to.deep.equal(response);
    });
  });
});

describe('grpc-js service definitions', () => {
  type Def = { path: string; requestStream: boolean; responseStream: boolean };
  type Expected = Record<string, [path: string, requestStream: boolean, responseStream: boolean]>;

  function check(service: Record<string, Def>, expected: Expected): void {
    expect(Object.keys(service).sort()).to.deep.equal(Object.keys(expected).sort());
    for (const [key, [path, requestStream, responseStream]] of Object.entries(expected)) {
      const def = service[key];
      expect(def, key).to.not.equal(undefined);
      expect({ path: def?.path, requestStream: def?.requestStream, responseStream: def?.responseStream }, key).to.deep.equal({
        path,
        requestStream,
        responseStream,
      });
    }
  }

  it('ambassador.v1.Tap', () => {
    check(TapService, {
      open: ['/ambassador.v1.Tap/Open', false, false],
      close: ['/ambassador.v1.Tap/Close', false, false],
      watch: ['/ambassador.v1.Tap/Watch', false, true],
    });
  });

  it('nsp.v1.ConfigurationManager (all seven watches, server streaming)', () => {
    check(ConfigurationManagerService, {
      watchTrench: ['/nsp.v1.ConfigurationManager/WatchTrench', false, true],
      watchConduit: ['/nsp.v1.ConfigurationManager/WatchConduit', false, true],
      watchStream: ['/nsp.v1.ConfigurationManager/WatchStream', false, true],
      watchFlow: ['/nsp.v1.ConfigurationManager/WatchFlow', false, true],
      watchVip: ['/nsp.v1.ConfigurationManager/WatchVip', false, true],
      watchAttractor: ['/nsp.v1.ConfigurationManager/WatchAttractor', false, true],
      watchGateway: ['/nsp.v1.ConfigurationManager/WatchGateway', false, true],
    });
  });

  it('nsp.v1.TargetRegistry', () => {
    check(TargetRegistryService, {
      register: ['/nsp.v1.TargetRegistry/Register', false, false],
      unregister: ['/nsp.v1.TargetRegistry/Unregister', false, false],
      watch: ['/nsp.v1.TargetRegistry/Watch', false, true],
    });
  });

  it('networkservice.NetworkService', () => {
    check(NetworkServiceService, {
      request: ['/networkservice.NetworkService/Request', false, false],
      close: ['/networkservice.NetworkService/Close', false, false],
    });
  });

  it('connection.MonitorConnection', () => {
    check(MonitorConnectionService, {
      monitorConnections: ['/connection.MonitorConnection/MonitorConnections', false, true],
    });
  });

  it('SpiffeWorkloadAPI (no proto package, as the SPIFFE standard declares it)', () => {
    check(SpiffeWorkloadAPIService, {
      fetchX509Svid: ['/SpiffeWorkloadAPI/FetchX509SVID', false, true],
      fetchX509Bundles: ['/SpiffeWorkloadAPI/FetchX509Bundles', false, true],
    });
  });

  it('X509SVID field numbers: spiffe_id 1, x509_svid 2, x509_svid_key 3, bundle 4, hint 5', () => {
    // 0a 03 "a:b" | 12 01 01 | 1a 01 02 | 22 01 03 | 2a 01 "h"
    const fixture = Buffer.from('0a03613a62120101' + '1a0102' + '220103' + '2a0168', 'hex');
    const message = { spiffeId: 'a:b', x509Svid: Buffer.from([1]), x509SvidKey: Buffer.from([2]), bundle: Buffer.from([3]), hint: 'h' };
    expect(Buffer.from(X509SVID.encode(message).finish()).toString('hex')).to.equal(fixture.toString('hex'));
  });

  // No client stubs are generated (see buf.gen.yaml), so make sure a plain
  // grpc.Client driven by the definitions talks to a server built from them.
  it('a Close RPC round-trips over a real grpc-js channel', async () => {
    const server = new grpc.Server();
    let seen: string | undefined;
    server.addService(TapService, {
      open: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<object>) => cb(null, {}),
      close: (call: grpc.ServerUnaryCall<{ name: string }, object>, cb: grpc.sendUnaryData<object>) => {
        seen = call.request.name;
        cb(null, {});
      },
      watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const def = TapService.close;
      await new Promise<void>((resolve, reject) =>
        client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          { name: 'stream-a1', conduit: undefined },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
      expect(seen).to.equal('stream-a1');
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
