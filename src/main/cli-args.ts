// Small argv helpers shared by the Electron entry and the CLI.

/** The value of --data-dir (as '--data-dir X' or '--data-dir=X'), or null. */
export function parseDataDirFlag(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--data-dir' && i + 1 < argv.length) return argv[i + 1]
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length)
  }
  return null
}
