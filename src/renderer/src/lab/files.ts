// Files in and out of the page: downloads through a Blob URL and an <a download>, and reading a chosen file.

/** Offers text or a data URL as a file download. */
export function downloadFile(fileName: string, content: string | Blob, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content
  const url = URL.createObjectURL(blob)
  downloadUrl(fileName, url)
  // The click has started the download; the URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function downloadUrl(fileName: string, url: string): void {
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.rel = 'noopener'
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
}

/** A file's bytes as base64 (without the data: prefix). */
export function readFileAsBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onerror = () => reject(new Error(`Could not read the file: ${reader.error?.message ?? 'unknown error'}.`))
    reader.onload = () => {
      const url = String(reader.result)
      const comma = url.indexOf(',')
      resolve(comma >= 0 ? url.slice(comma + 1) : url)
    }
    reader.readAsDataURL(file)
  })
}

export function readFileAsText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onerror = () => reject(new Error(`Could not read the file: ${reader.error?.message ?? 'unknown error'}.`))
    reader.onload = () => resolve(String(reader.result))
    reader.readAsText(file)
  })
}

/** A name safe for a downloaded file: letters, digits, dot, dash and underscore. */
export function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'export'
}
