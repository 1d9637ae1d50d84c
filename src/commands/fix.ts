/** `crio-sentinel fix` — placeholder until its issue lands. */
export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('crio-sentinel fix: not implemented yet\n');
  return 3;
}
