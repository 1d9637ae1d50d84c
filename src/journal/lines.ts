/**
 * Split a Buffer stream into lines without copying, except for a line that crosses chunk
 * boundaries (its pieces are joined once). Lines longer than maxLineBytes are dropped and reported.
 */
export interface LineSplitter {
  push(chunk: Buffer): void;
  /** flush a last line without '\n'; returns true when a partial line was pending */
  end(): boolean;
}

export function createLineSplitter(
  onLine: (buf: Buffer, start: number, end: number) => void,
  onOversize: (bytes: number) => void,
  maxLineBytes: number,
): LineSplitter {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let discarding = false;
  let discarded = 0;

  function scan(buf: Buffer, p: number): void {
    for (;;) {
      const nl = buf.indexOf(0x0a, p);
      if (nl < 0) {
        if (p < buf.length) {
          pending = [buf.subarray(p)];
          pendingLen = buf.length - p;
          if (pendingLen > maxLineBytes) startDiscard();
        }
        return;
      }
      let e = nl;
      if (e > p && buf[e - 1] === 0x0d) e--; // CRLF
      if (e - p > maxLineBytes) onOversize(e - p);
      else onLine(buf, p, e);
      p = nl + 1;
    }
  }

  function startDiscard(): void {
    discarding = true;
    discarded = pendingLen;
    pending = [];
    pendingLen = 0;
  }

  return {
    push(chunk: Buffer): void {
      if (chunk.length === 0) return;
      if (discarding) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          discarded += chunk.length;
          return;
        }
        onOversize(discarded + nl);
        discarding = false;
        discarded = 0;
        scan(chunk, nl + 1);
        return;
      }
      if (pendingLen > 0) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          pending.push(chunk);
          pendingLen += chunk.length;
          if (pendingLen > maxLineBytes) startDiscard();
          return;
        }
        pending.push(chunk.subarray(0, nl + 1));
        const line = Buffer.concat(pending, pendingLen + nl + 1);
        pending = [];
        pendingLen = 0;
        scan(line, 0);
        scan(chunk, nl + 1);
        return;
      }
      scan(chunk, 0);
    },
    end(): boolean {
      if (discarding) {
        onOversize(discarded);
        discarding = false;
        return true;
      }
      if (pendingLen === 0) return false;
      const line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      onLine(line, 0, line.length);
      return true;
    },
  };
}
