// The browser-mode access token: taken from the link the lab host printed, kept for reloads, hidden from the address bar.
const TOKEN_KEY = 'proxyless-lab.token'

function safeStorage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null // storage can be disabled by the browser; the token then lives only in this page
  }
}

let tokenInMemory: string | null = null

/** Read `?token=` from the page address (before or inside the #hash), store it, and remove it from the visible URL. */
export function adoptTokenFromLocation(): string | null {
  const url = new URL(window.location.href)
  let token = url.searchParams.get('token')
  if (token !== null) url.searchParams.delete('token')
  const hashQueryAt = url.hash.indexOf('?')
  if (hashQueryAt >= 0) {
    const hashParams = new URLSearchParams(url.hash.slice(hashQueryAt + 1))
    const fromHash = hashParams.get('token')
    if (fromHash !== null) {
      token = token ?? fromHash
      hashParams.delete('token')
      const rest = hashParams.toString()
      url.hash = url.hash.slice(0, hashQueryAt) + (rest ? `?${rest}` : '')
    }
  }
  if (token !== null && token.trim() !== '') {
    tokenInMemory = token.trim()
    safeStorage()?.setItem(TOKEN_KEY, tokenInMemory)
    window.history.replaceState(window.history.state, '', url.toString())
  }
  return readToken()
}

export function readToken(): string | null {
  return tokenInMemory ?? safeStorage()?.getItem(TOKEN_KEY) ?? null
}

export function forgetToken(): void {
  tokenInMemory = null
  safeStorage()?.removeItem(TOKEN_KEY)
}
