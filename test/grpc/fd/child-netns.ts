// Run in a fresh network namespace by fd.test.ts: sends this process's namespace, as a
// descriptor, to the listener named on the command line, then waits to be killed (its
// namespace must outlive the test's look at it).
import { openSync } from 'node:fs';
import { unixfd } from '../../../src/grpc/fd/native.js';
import { DescriptorSocket } from '../../../src/grpc/fd/socket.js';

const socket = new DescriptorSocket(unixfd().connect(process.argv[2]!));
socket.attach([openSync('/proc/thread-self/ns/net', 'r')]);
socket.write('namespace');
setInterval(() => {}, 1_000);
