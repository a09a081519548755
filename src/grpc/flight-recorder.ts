import * as grpc from '@grpc/grpc-js';
import type { Recording } from '../runner/recording.js';
import {
  FlightRecorderService,
  type FlightRecorderServer,
  type RecordingChunk,
  type RecordRequest,
} from '../wire/tapa/admin/v1/recorder.js';

/** Below grpc-js's default 4 MB message limit, so that any client reads it unconfigured. */
const CHUNK_BYTES = 1 << 20;

export { FlightRecorderService };

/**
 * tapa.admin.v1.FlightRecorder: the recording as it stands, as JSON in chunks. Served on
 * the health socket only, which is local to the pod, so that a recording (what the pod
 * did, without its secrets) is never offered on the network.
 */
export function flightRecorderServer(recording: (why: string) => Recording | undefined): FlightRecorderServer {
  return {
    record: (call: grpc.ServerWritableStream<RecordRequest, RecordingChunk>) => {
      const made = recording(call.request.why || 'on demand');
      if (!made) {
        call.destroy(
          Object.assign(new Error('the flight recorder is off (MERIDIO_RECORD_EVENTS=0)'), { code: grpc.status.FAILED_PRECONDITION }),
        );
        return;
      }
      const data = Buffer.from(JSON.stringify(made));
      for (let at = 0; at < data.length; at += CHUNK_BYTES) call.write({ data: data.subarray(at, at + CHUNK_BYTES) });
      call.end();
    },
  };
}
