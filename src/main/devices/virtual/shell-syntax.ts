// A small POSIX-ish shell grammar for the virtual phone: quotes, escapes, $? / $VAR, ; && || |, redirections and
// while/for/if. Commands are parsed into a tree and run by the handler table in commands.ts — never by a host shell.

/** A piece of a word: literal text (quoted or not) or a variable to expand at run time. */
export type WordPart = { kind: 'text'; text: string; quoted: boolean } | { kind: 'var'; name: string; quoted: boolean }
export type Word = WordPart[]

export interface Redirect {
  fd: number
  /** '>' truncate, '>>' append, '<' input, '>&' duplicate onto another fd */
  mode: '>' | '>>' | '<' | '>&'
  target: Word
}

export type Token =
  | { type: 'word'; word: Word }
  | { type: 'op'; op: ';' | '&&' | '||' | '|' | '&' | '\n' }
  | { type: 'redirect'; redirect: Redirect }

export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ShellSyntaxError'
  }
}

const OPERATOR_CHARS = new Set([';', '&', '|', '\n', '<', '>'])
const VAR_NAME = /[A-Za-z_][A-Za-z0-9_]*/y

export function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let word: Word | null = null
  let pendingRedirect: { fd: number; mode: Redirect['mode'] } | null = null
  let bothStreams = false

  const addText = (text: string, quoted: boolean): void => {
    word ??= []
    const last = word[word.length - 1]
    if (last && last.kind === 'text' && last.quoted === quoted) last.text += text
    else word.push({ kind: 'text', text, quoted })
  }
  const readVar = (quoted: boolean): void => {
    // at src[i] === '$'
    const next = src[i + 1]
    if (next === '?' || next === '$' || next === '#') {
      word ??= []
      word.push({ kind: 'var', name: next, quoted })
      i += 2
      return
    }
    if (next === '{') {
      const close = src.indexOf('}', i + 2)
      if (close < 0) throw new ShellSyntaxError('missing } in ${...}')
      word ??= []
      word.push({ kind: 'var', name: src.slice(i + 2, close), quoted })
      i = close + 1
      return
    }
    VAR_NAME.lastIndex = i + 1
    const m = VAR_NAME.exec(src)
    if (!m) {
      addText('$', quoted)
      i += 1
      return
    }
    word ??= []
    word.push({ kind: 'var', name: m[0], quoted })
    i += 1 + m[0].length
  }
  const finishWord = (): void => {
    if (word === null) return
    if (pendingRedirect) {
      tokens.push({ type: 'redirect', redirect: { ...pendingRedirect, target: word } })
      if (bothStreams) tokens.push({ type: 'redirect', redirect: { fd: 2, mode: '>&', target: [{ kind: 'text', text: '1', quoted: false }] } })
      pendingRedirect = null
      bothStreams = false
    } else tokens.push({ type: 'word', word })
    word = null
  }
  const pushOp = (op: Extract<Token, { type: 'op' }>['op']): void => {
    if (pendingRedirect) throw new ShellSyntaxError(`syntax error: redirection without a target before '${op === '\n' ? 'newline' : op}'`)
    tokens.push({ type: 'op', op })
  }

  while (i < src.length) {
    const c = src[i]
    if (c === ' ' || c === '\t' || c === '\r') {
      finishWord()
      i++
    } else if (c === '#' && word === null) {
      while (i < src.length && src[i] !== '\n') i++
    } else if (c === "'") {
      const close = src.indexOf("'", i + 1)
      if (close < 0) throw new ShellSyntaxError('unterminated single quote')
      addText(src.slice(i + 1, close), true)
      i = close + 1
    } else if (c === '"') {
      i++
      addText('', true)
      for (;;) {
        if (i >= src.length) throw new ShellSyntaxError('unterminated double quote')
        const d = src[i]
        if (d === '"') {
          i++
          break
        }
        if (d === '\\' && i + 1 < src.length && '"\\$`\n'.includes(src[i + 1])) {
          if (src[i + 1] !== '\n') addText(src[i + 1], true)
          i += 2
        } else if (d === '$') readVar(true)
        else if (d === '`') throw new ShellSyntaxError('command substitution is not supported on the virtual phone')
        else {
          addText(d, true)
          i++
        }
      }
    } else if (c === '\\') {
      if (i + 1 < src.length && src[i + 1] !== '\n') addText(src[i + 1], true)
      i += 2
    } else if (c === '$') {
      if (src[i + 1] === '(') throw new ShellSyntaxError('command substitution is not supported on the virtual phone')
      readVar(false)
    } else if (c === '`') {
      throw new ShellSyntaxError('command substitution is not supported on the virtual phone')
    } else if (OPERATOR_CHARS.has(c)) {
      if (c === '>' || c === '<') {
        // A lone unquoted digit right before > or < is the file descriptor.
        let fd = c === '>' ? 1 : 0
        const w = word as Word | null
        if (w && w.length === 1 && w[0].kind === 'text' && !w[0].quoted && /^\d$/.test(w[0].text)) {
          fd = Number(w[0].text)
          word = null
        } else finishWord()
        if (pendingRedirect) throw new ShellSyntaxError(`syntax error near '${c}'`)
        if (c === '<') {
          pendingRedirect = { fd, mode: '<' }
          i++
        } else if (src[i + 1] === '>') {
          pendingRedirect = { fd, mode: '>>' }
          i += 2
        } else if (src[i + 1] === '&') {
          pendingRedirect = { fd, mode: '>&' }
          i += 2
        } else {
          pendingRedirect = { fd, mode: '>' }
          i++
        }
        continue
      }
      finishWord()
      if (c === '&' && src[i + 1] === '&') {
        pushOp('&&')
        i += 2
      } else if (c === '|' && src[i + 1] === '|') {
        pushOp('||')
        i += 2
      } else if (c === '&' && src[i + 1] === '>') {
        // &>file: stdout and stderr to file (recorded as >file 2>&1 once the target is read)
        pendingRedirect = { fd: 1, mode: '>' }
        bothStreams = true
        i += 2
      } else {
        pushOp(c as ';' | '&' | '|' | '\n')
        i++
      }
    } else {
      addText(c, false)
      i++
    }
  }
  finishWord()
  if (pendingRedirect) throw new ShellSyntaxError('syntax error: redirection without a target')
  return tokens
}

// ---- grammar ----

export interface SimpleCommand {
  type: 'simple'
  words: Word[]
  redirects: Redirect[]
}
export interface WhileCommand {
  type: 'while'
  until: boolean
  condition: CommandList
  body: CommandList
  redirects: Redirect[]
}
export interface ForCommand {
  type: 'for'
  variable: string
  items: Word[]
  body: CommandList
  redirects: Redirect[]
}
export interface IfCommand {
  type: 'if'
  branches: Array<{ condition: CommandList; body: CommandList }>
  otherwise: CommandList | null
  redirects: Redirect[]
}
export type Command = SimpleCommand | WhileCommand | ForCommand | IfCommand

export interface Pipeline {
  negated: boolean
  commands: Command[]
}

/** Pipelines joined by operators; `op` says how an item relates to the previous one's exit status. */
export type CommandList = Array<{ op: ';' | '&&' | '||'; pipeline: Pipeline }>

const RESERVED = new Set(['do', 'done', 'then', 'else', 'elif', 'fi', 'in'])

/** The literal text of a word when it is entirely unquoted text (used to spot keywords). */
export function plainText(word: Word): string | null {
  return word.length === 1 && word[0].kind === 'text' && !word[0].quoted ? word[0].text : null
}

export function parseShell(src: string): CommandList {
  const parser = new Parser(tokenize(src))
  const list = parser.parseList(new Set())
  if (!parser.atEnd()) throw new ShellSyntaxError(`syntax error near unexpected '${parser.describeNext()}'`)
  return list
}

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  atEnd(): boolean {
    return this.pos >= this.tokens.length
  }

  describeNext(): string {
    const t = this.tokens[this.pos]
    if (!t) return 'end of input'
    if (t.type === 'op') return t.op === '\n' ? 'newline' : t.op
    if (t.type === 'word') return plainText(t.word) ?? 'word'
    return t.redirect.mode
  }

  private peekKeyword(): string | null {
    const t = this.tokens[this.pos]
    return t && t.type === 'word' ? plainText(t.word) : null
  }

  private skipSeparators(): void {
    while (this.pos < this.tokens.length) {
      const t = this.tokens[this.pos]
      if (t.type === 'op' && (t.op === ';' || t.op === '\n' || t.op === '&')) this.pos++
      else break
    }
  }

  private expectKeyword(keyword: string): void {
    this.skipSeparators()
    if (this.peekKeyword() !== keyword) throw new ShellSyntaxError(`syntax error: expected '${keyword}' near '${this.describeNext()}'`)
    this.pos++
  }

  /** Parses until end of input or one of the stop keywords (left unconsumed). */
  parseList(stops: Set<string>): CommandList {
    const list: CommandList = []
    let op: ';' | '&&' | '||' = ';'
    for (;;) {
      if (op === ';') this.skipSeparators()
      else while (this.tokens[this.pos]?.type === 'op' && (this.tokens[this.pos] as { op: string }).op === '\n') this.pos++
      if (this.atEnd()) break
      const kw = this.peekKeyword()
      if (kw !== null && stops.has(kw)) break
      list.push({ op, pipeline: this.parsePipeline(stops) })
      op = ';'
      const t = this.tokens[this.pos]
      if (!t) break
      if (t.type === 'op' && (t.op === '&&' || t.op === '||')) {
        op = t.op
        this.pos++
      } else if (t.type === 'op' && (t.op === ';' || t.op === '\n' || t.op === '&')) {
        op = ';'
      } else {
        const next = this.peekKeyword()
        if (next !== null && stops.has(next)) break
        throw new ShellSyntaxError(`syntax error near unexpected '${this.describeNext()}'`)
      }
    }
    if (op !== ';') throw new ShellSyntaxError(`syntax error: missing command after '${op}'`)
    return list
  }

  private parsePipeline(stops: Set<string>): Pipeline {
    let negated = false
    if (this.peekKeyword() === '!') {
      negated = true
      this.pos++
    }
    const commands: Command[] = [this.parseCommand(stops)]
    while (this.tokens[this.pos]?.type === 'op' && (this.tokens[this.pos] as { op: string }).op === '|') {
      this.pos++
      while (this.tokens[this.pos]?.type === 'op' && (this.tokens[this.pos] as { op: string }).op === '\n') this.pos++
      commands.push(this.parseCommand(stops))
    }
    return { negated, commands }
  }

  private parseRedirects(): Redirect[] {
    const redirects: Redirect[] = []
    while (this.tokens[this.pos]?.type === 'redirect') redirects.push((this.tokens[this.pos++] as { redirect: Redirect }).redirect)
    return redirects
  }

  private parseCommand(stops: Set<string>): Command {
    const kw = this.peekKeyword()
    if (kw === 'while' || kw === 'until') {
      this.pos++
      const condition = this.parseList(new Set(['do']))
      this.expectKeyword('do')
      const body = this.parseList(new Set(['done']))
      this.expectKeyword('done')
      return { type: 'while', until: kw === 'until', condition, body, redirects: this.parseRedirects() }
    }
    if (kw === 'for') {
      this.pos++
      const v = this.tokens[this.pos]
      const variable = v?.type === 'word' ? plainText(v.word) : null
      if (!variable || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new ShellSyntaxError('syntax error: for needs a variable name')
      this.pos++
      const items: Word[] = []
      this.skipSeparators()
      if (this.peekKeyword() === 'in') {
        this.pos++
        while (this.tokens[this.pos]?.type === 'word') items.push((this.tokens[this.pos++] as { word: Word }).word)
      }
      this.expectKeyword('do')
      const body = this.parseList(new Set(['done']))
      this.expectKeyword('done')
      return { type: 'for', variable, items, body, redirects: this.parseRedirects() }
    }
    if (kw === 'if') {
      this.pos++
      const branches: IfCommand['branches'] = []
      let otherwise: CommandList | null = null
      for (;;) {
        const condition = this.parseList(new Set(['then']))
        this.expectKeyword('then')
        const body = this.parseList(new Set(['elif', 'else', 'fi']))
        branches.push({ condition, body })
        this.skipSeparators()
        const next = this.peekKeyword()
        this.pos++
        if (next === 'elif') continue
        if (next === 'else') {
          otherwise = this.parseList(new Set(['fi']))
          this.expectKeyword('fi')
        } else if (next !== 'fi') throw new ShellSyntaxError(`syntax error: expected 'fi'`)
        break
      }
      return { type: 'if', branches, otherwise, redirects: this.parseRedirects() }
    }
    if (kw !== null && (RESERVED.has(kw) || stops.has(kw))) throw new ShellSyntaxError(`syntax error near unexpected '${kw}'`)
    const words: Word[] = []
    const redirects: Redirect[] = []
    for (;;) {
      const t = this.tokens[this.pos]
      if (!t || t.type === 'op') break
      if (t.type === 'redirect') redirects.push(t.redirect)
      else {
        const text = plainText(t.word)
        if (words.length > 0 || text === null || !stops.has(text)) words.push(t.word)
        else break
      }
      this.pos++
    }
    if (words.length === 0 && redirects.length === 0) throw new ShellSyntaxError(`syntax error near unexpected '${this.describeNext()}'`)
    return { type: 'simple', words, redirects }
  }
}
