/**
 * A `tsquery` as PostgreSQL prints it (`websearch_to_tsquery('russian', q)::text`), parsed and evaluated
 * against a document's lexemes in memory (search-index.ts). The query text is always made by PostgreSQL, so
 * stemming and stop words are exactly its own. Evaluated here: lexemes, `&`, `|`, `!` (what
 * `websearch_to_tsquery` makes of words, `or` and `-word`). Not evaluated: phrases (`<->`, `<N>`, from
 * `"quoted words"`: they need the lexemes' positions) and prefixes or weights (`:*`, `:A`, which
 * `websearch_to_tsquery` never makes): `parseTsquery` returns undefined for them and the search takes the
 * SQL path.
 */

export type TsNode =
  | { readonly op: 'lex'; readonly lexeme: string }
  | { readonly op: 'not'; readonly arg: TsNode }
  | { readonly op: 'and' | 'or'; readonly left: TsNode; readonly right: TsNode }

/** The parsed query; `null` when it has no lexeme at all (only stop words: PostgreSQL matches nothing). */
export type ParsedTsquery = TsNode | null

/** Parses PostgreSQL's text form of a tsquery; undefined when it holds a form evaluated only by SQL. */
export function parseTsquery(text: string): ParsedTsquery | undefined {
  if (text.trim() === '') return null
  let at = 0
  const skip = () => {
    while (text[at] === ' ') at++
  }
  // Precedence as PostgreSQL prints it: `|` lowest, then `&`, then `<->`, then `!`.
  const parseOr = (): TsNode | undefined => {
    let left = parseAnd()
    for (skip(); left !== undefined && text[at] === '|'; skip()) {
      at++
      const right = parseAnd()
      left = right === undefined ? undefined : { op: 'or', left, right }
    }
    return left
  }
  const parseAnd = (): TsNode | undefined => {
    let left = parseUnary()
    for (skip(); left !== undefined && text[at] === '&'; skip()) {
      at++
      const right = parseUnary()
      left = right === undefined ? undefined : { op: 'and', left, right }
    }
    // A phrase operator (`<->`, `<N>`) is not evaluated in memory.
    return text[at] === '<' ? undefined : left
  }
  const parseUnary = (): TsNode | undefined => {
    skip()
    const c = text[at]
    if (c === '!') {
      at++
      const arg = parseUnary()
      return arg === undefined ? undefined : { op: 'not', arg }
    }
    if (c === '(') {
      at++
      const inner = parseOr()
      skip()
      if (inner === undefined || text[at] !== ')') return undefined
      at++
      return inner
    }
    if (c !== "'") return undefined
    at++
    let lexeme = ''
    for (;;) {
      if (at >= text.length) return undefined
      const ch = text[at]!
      if (ch === '\\' && at + 1 < text.length) {
        lexeme += text[at + 1]
        at += 2
      } else if (ch === "'") {
        if (text[at + 1] === "'") {
          lexeme += "'"
          at += 2
        } else {
          at++
          break
        }
      } else {
        lexeme += ch
        at++
      }
    }
    // `:*` (prefix) or `:ABC` (weights) after the operand.
    if (text[at] === ':') return undefined
    return { op: 'lex', lexeme }
  }
  const node = parseOr()
  skip()
  return node !== undefined && at === text.length ? node : undefined
}

/** Whether a document whose lexemes are `has` matches `node` (PostgreSQL's `@@` without positions). */
export function matches(node: TsNode, has: (lexeme: string) => boolean): boolean {
  switch (node.op) {
    case 'lex':
      return has(node.lexeme)
    case 'not':
      return !matches(node.arg, has)
    case 'and':
      return matches(node.left, has) && matches(node.right, has)
    case 'or':
      return matches(node.left, has) || matches(node.right, has)
  }
}

/**
 * Lexemes every match must hold (one of them narrows the candidates to its documents); empty when the
 * query can match without any particular lexeme (`a | b`, `!a`).
 */
export function requiredLexemes(node: TsNode): string[] {
  switch (node.op) {
    case 'lex':
      return [node.lexeme]
    case 'and':
      return [...requiredLexemes(node.left), ...requiredLexemes(node.right)]
    default:
      return []
  }
}
