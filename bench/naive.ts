/**
 * The naive baseline of the follow-cpu benchmark: what a first implementation would do —
 * `journalctl -o json --all`, `JSON.parse` of every line, every regular expression on every
 * MESSAGE, no prefilter. The expressions are those of log-formats.md §12 (envelope, CRI-O,
 * kubelet, exec, config, kernel), so the baseline does the same recognition work as the real path.
 */
const RES: readonly RegExp[] = [
  /^time="(?<ts>[^"]+)" level=(?<level>[a-z]+) msg=(?:"(?<msg>(?:[^"\\]|\\.)*)"|(?<msgBare>[^ "]*))(?<fields>(?: [A-Za-z]+=(?:"(?:[^"\\]|\\.)*"|\S*))*)$/,
  /^(?<sev>[IWEF])(?<mmdd>\d{4}) (?<hms>\d{2}:\d{2}:\d{2}\.\d{6})\s+(?<pid>\d+) (?<src>[^ \]]+:\d+)\] (?<rest>.*)$/,
  /^\t(?<line>.*)$/,
  /^ > ?(?<kv>.*)$/,
  /^conmon (?<cid20>[0-9a-f]{20}) <(?<lvl>[a-z]+)>: (?<msg>.*?)\n?$/,
  /Stopping container: (?<cid>[0-9a-f]{12,64}) \(timeout: (?<timeout>\d+)s\)/,
  /Stopped container (?<cid>[0-9a-f]{64}): (?<ns>[^/]+)\/(?<pod>[^/]+)\/(?<ctr>.+)/,
  /Stopping container (?<cid>[0-9a-f]{64}) with stop signal(?:\((?<sig>\d+)\))? timed out(?:\. Killing(?:\.\.\.)?|: (?<err>.*))/,
  /Killing container (?<cid>[0-9a-f]{64}) failed: (?<err>.*)/s,
  /`(?<runtime>\/\S+) (?<args>[^`]*?)kill (?<cid>[0-9a-f]{64}) (?<sig>\w+)` failed: (?<stderr>[\s\S]*?)\s*: (?<exit>exit status \d+|signal: [a-z ]+)/,
  /Detected process \((?<pid>\d+)\) (?:blocked in uninterruptible sleep|in state (?<state>\S+) blocked) for more than (?<secs>\d+) seconds for container (?<cid>[0-9a-f]{64})/,
  /Stopping pod sandbox: (?<sid>[0-9a-f]{64})/,
  /Stopped pod sandbox(?: \(already stopped\))?: (?<sid>[0-9a-f]{64})/,
  /(permission denied|operation not permitted|signaling init process caused)/i,
  /failed to find runtime handler (?<handler>\S+) from runtime list/,
  /"Killing container with a grace period(?: override)?" pod="(?<ns>[^/"]+)\/(?<pod>[^"]+)" podUID="?(?<uid>[0-9a-f-]{36})"? containerName="(?<ctr>[^"]+)" containerID="(?<rt>[a-z-]+):\/\/(?<cid>[0-9a-f]{64})" gracePeriod=(?<gp>\d+)/,
  /"StopContainer from runtime service failed" err="(?<err>(?:[^"\\]|\\.)*)" containerID="(?<cid>[0-9a-f]{64})"/,
  /StopContainer "(?<cid>[0-9a-f]{64})" from runtime service failed: (?<err>.*)/,
  /"StopPodSandbox from runtime service failed" err="(?<err>(?:[^"\\]|\\.)*)" podSandboxID="(?<sid>[0-9a-f]{64})"/,
  /"Container termination failed with gracePeriod" err="(?<err>(?:[^"\\]|\\.)*)" pod="(?<pod>[^"]+)" podUID="?(?<uid>[0-9a-f-]{36})"? containerName="(?<ctr>[^"]+)" containerID="[a-z-]+:\/\/(?<cid>[0-9a-f]{64})" gracePeriod=(?<gp>\d+)/,
  /"(?:Kill container failed|killContainer for pod failed)" err="(?<err>(?:[^"\\]|\\.)*)" .*containerID=\{"Type":"(?<rt>[^"]+)","ID":"(?<cid>[0-9a-f]{64})"\}/,
  /"Failed to stop sandbox" podSandboxID=\{"Type":"[^"]+","ID":"(?<sid>[0-9a-f]{64})"\}|Failed to stop sandbox \{"[^"]+" "(?<sid2>[0-9a-f]{64})"\}/,
  /"(?:Error syncing pod, skipping|Unhandled Error)" err="(?<err>(?:[^"\\]|\\.)*)"(?: pod="(?<pod>[^"]+)" podUID="?(?<uid>[0-9a-f-]{36})"?)?/,
  /Error syncing pod (?<uid>[0-9a-f-]{36}) \("(?<full>[^"]+)"\), skipping: (?<err>.*)/,
  /"SyncLoop \(PLEG\): event for pod" pod="(?<pod>[^"]+)" event=\{"ID":"(?<uid>[^"]+)","Type":"(?<type>\w+)","Data":"(?<cid>[0-9a-f]{64})"\}/,
  /"Generic \(PLEG\): container finished" podID="?(?<uid>[0-9a-f-]{36})"? containerID="(?<cid>[0-9a-f]{64})" exitCode=(?<code>-?\d+)/,
  /"ExecSync cmd from runtime service failed" err=(?:<$|"(?<err>(?:[^"\\]|\\.)*)" containerID="(?<cid>[0-9a-f]{64})" cmd=(?<cmd>.*)$)/,
  /"Probe (?:errored|failed)" (?:err=<$|err="(?<err>(?:[^"\\]|\\.)*)" )?/,
  /^ > containerID="(?<cid>[0-9a-f]{64})" cmd=(?<cmd>.*)$/,
  /^ > probeType="(?<ptype>\w+)" pod="(?<pod>[^"]+)" podUID="?(?<uid>[0-9a-f-]{36})"? containerName="(?<ctr>[^"]+)"/,
  /exec failed: unable to start container process: (?<detail>.*?permission denied)|exec container process `[^`]*`: Permission denied|\bexec (?<path>\/\S+): permission denied/,
  /Starting CRI-O, version: (?<ver>[^,]+), git: (?<git>[^(]*)\((?<tree>\w+)\)/,
  /Updating config from (?<kind>single file|drop-in file|path): (?<path>[^"]+)/,
  /Using runtime handler (?<desc>[^"]+)/,
  /(?<ev>Reloading configuration|Configuration reload completed|Updating runtime configuration|Registered SIGHUP reload watcher)/,
  /Unable to reload configuration: (?<err>.*)/s,
  /Set config (?<opt>[a-z_]+) to \\"(?<val>(?:[^"\\]|\\.)*)\\"/,
  /Current CRI-O configuration:\\n[\s\S]*?\\n\s*default_runtime = \\"(?<default>[^"\\]+)\\"/,
  /FLAG: --default-runtime="(?<default>[^"]*)"/,
  /Runtime handler "(?<h>[^"]+)" is being ignored due to: (?<err>.*)/s,
  /apparmor="DENIED" operation="signal"(?=.*\bprofile="(?<profile>[^"]+)")(?=.*\bcomm="(?<comm>[^"]+)")(?=.*\bpeer="(?<peer>[^"]+)")(?=.*\bsignal=(?<signal>\w+))/,
];

/** MESSAGE of a `journalctl -o json` object: string, byte array, null, or an array of strings. */
export function jsonMessage(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'number') return Buffer.from(v as number[]).toString('utf8');
    return (v as unknown[]).map((x) => (typeof x === 'string' ? x : '')).join('\n');
  }
  return '';
}

/** Run every expression on one message; returns how many matched. */
export function naiveMatch(message: string): number {
  let n = 0;
  for (const re of RES) if (re.exec(message) !== null) n++;
  return n;
}

export const NAIVE_PATTERN_COUNT = RES.length;
