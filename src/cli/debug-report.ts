import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { arch, cpus, hostname, networkInterfaces, release, type, uptime } from 'node:os';
import { basename } from 'node:path';

/**
 * What `tapa -debug` prints, as the Go TAPA's -debug does: one JSON object with the pod's
 * network interfaces, routes, neighbours, system and environment, under Go's key names, for
 * an operator to attach to a report. Read from /sys and /proc, since Node has no netlink:
 * routes of the main table only (as /proc/net/route and ipv6_route show them), IPv4
 * neighbours only (/proc/net/arp), and no policy rules (`rules` is null, as Go writes it when
 * netlink fails).
 */

/** The version of this report's shape; Go's is v0.0.1 and ours has the same keys. */
const REPORT_VERSION = 'v0.0.1';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function lines(path: string): string[][] {
  return (read(path) ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length > 1);
}

const number = (text: string | undefined): number => Number(text ?? 0) || 0;

function interfaces(): object[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  const addresses = networkInterfaces();
  const ifindex = (name: string): number => number(read(`/sys/class/net/${name}/ifindex`));
  return names.map((name) => {
    const dir = `/sys/class/net/${name}`;
    let master = 0;
    try {
      master = ifindex(basename(realpathSync(`${dir}/master`)));
    } catch {
      // No master.
    }
    const counter = (key: string): number => number(read(`${dir}/statistics/${key}`));
    return {
      index: ifindex(name),
      name,
      mac: read(`${dir}/address`) ?? '',
      ips: (addresses[name] ?? []).map((a) => a.cidr),
      mtu: number(read(`${dir}/mtu`)),
      up: (parseInt(read(`${dir}/flags`) ?? '0', 16) & 1) === 1,
      'master-index': master,
      statistics: {
        'rx-packets': counter('rx_packets'),
        'tx-packets': counter('tx_packets'),
        'rx-bytes': counter('rx_bytes'),
        'tx-bytes': counter('tx_bytes'),
        'rx-errors': counter('rx_errors'),
        'tx-errors': counter('tx_errors'),
        'rx-dropped': counter('rx_dropped'),
        'tx-dropped': counter('tx_dropped'),
      },
    };
  });
}

/** A little-endian hex IPv4 address of /proc/net/route. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** A hex IPv6 address of /proc/net/ipv6_route, in its short form (the URL parser compresses it). */
function ipv6(hex: string): string {
  return new URL(`http://[${(hex.match(/.{4}/g) ?? []).join(':')}]`).hostname.slice(1, -1);
}

const MAIN_TABLE = 254;

function routes(): object[] {
  const v4 = lines('/proc/net/route')
    .slice(1)
    .map(([, destination = '', gateway = '', , , , , mask = '']) => {
      const bits = (parseInt(mask, 16) >>> 0).toString(2).replace(/0/g, '').length;
      return {
        table: MAIN_TABLE,
        'interface-index': 0,
        destination: bits === 0 ? 'default' : `${ipv4(destination)}/${bits}`,
        nexthops: [],
        gateway: gateway === '00000000' ? '' : ipv4(gateway),
        source: '',
      };
    });
  const v6 = lines('/proc/net/ipv6_route').map(([destination = '', length = '', , , gateway = '']) => {
    const bits = parseInt(length, 16);
    return {
      table: MAIN_TABLE,
      'interface-index': 0,
      destination: bits === 0 ? 'default' : `${ipv6(destination)}/${bits}`,
      nexthops: [],
      gateway: /^0+$/.test(gateway) ? '' : ipv6(gateway),
      source: '',
    };
  });
  return [...v4, ...v6];
}

function neighbors(): object[] {
  const index = (name: string): number => number(read(`/sys/class/net/${name}/ifindex`));
  return lines('/proc/net/arp')
    .slice(1)
    .map(([ip = '', , flags = '', mac = '', , device = '']) => ({ ip, mac, state: flags, 'interface-index': index(device) }));
}

function system(): object {
  return {
    'cpu-info': cpus().map((cpu, i) => ({ cpu: i, modelName: cpu.model, mhz: cpu.speed })),
    'host-info': {
      hostname: hostname(),
      uptime: Math.floor(uptime()),
      os: type().toLowerCase(),
      kernelVersion: release(),
      kernelArch: arch(),
    },
  };
}

export function debugReport(meridioVersion: string): string {
  return JSON.stringify({
    version: REPORT_VERSION,
    'meridio-version': meridioVersion,
    'unix-time': Math.floor(Date.now() / 1000),
    'network-interfaces': interfaces(),
    rules: null,
    route: routes(),
    neighbors: neighbors(),
    system: system(),
    'environment-variables': Object.entries(process.env).map(([key, value]) => `${key}=${value ?? ''}`),
  });
}
