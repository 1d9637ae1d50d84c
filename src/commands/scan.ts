/** `crio-sentinel scan` — placeholder until its issue lands. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('crio-sentinel scan: not implemented yet\n');
  return 3;
}
