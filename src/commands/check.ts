/** `crio-sentinel check` — placeholder until its issue lands. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('crio-sentinel check: not implemented yet\n');
  return 3;
}
