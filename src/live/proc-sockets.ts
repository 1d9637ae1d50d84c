/**
 * Edge: which processes hold a unix socket, read from /proc (the host's, when --root is "/").
 * Used only to tell several CRI-O daemons apart (src/live/process.ts findCrioProcess): the one
 * whose file descriptors include the socket bound to our CRI-O socket path serves it.
 */
import fs from 'node:fs';
import { unixSocketInodes } from './process.js';

/** file descriptors looked at per process, at most */
const MAX_FDS = 65_536;

/**
 * Of `pids`, those with an open descriptor on a socket bound to `socketPath`. Each pid's own
 * /proc/<pid>/net/unix is read (its network namespace's sockets). null when no pid's table shows
 * the path (not visible from here); unreadable pids are left out.
 */
export function procSocketHolders(socketPath: string, pids: number[], proc = '/proc'): Set<number> | null {
  const out = new Set<number>();
  let seen = false;
  for (const pid of pids) {
    let inodes: Set<string>;
    try {
      inodes = unixSocketInodes(fs.readFileSync(`${proc}/${pid}/net/unix`, 'utf8'), socketPath);
    } catch {
      continue;
    }
    if (inodes.size === 0) continue;
    seen = true;
    let fds: string[];
    try {
      fds = fs.readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds.slice(0, MAX_FDS)) {
      let target: string;
      try {
        target = fs.readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        out.add(pid);
        break;
      }
    }
  }
  return seen ? out : null;
}
