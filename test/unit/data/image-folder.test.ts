import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resizeImage } from '../../../src/main/data/image-folder'
import { inspectDataset, loadDataset } from '../../../src/main/data/registry'
import { LabError } from '../../../src/shared/errors'

function png(w: number, h: number, rgb: [number, number, number]): Buffer {
  const img = new PNG({ width: w, height: h })
  for (let i = 0; i < w * h; i++) img.data.set([...rgb, 255], i * 4)
  return PNG.sync.write(img)
}
function jpg(w: number, h: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4)
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4)
  return jpeg.encode({ width: w, height: h, data }, 95).data
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lab-folder-'))
  // Classes on purpose out of order on disk; sizes differ; PNG and JPEG mixed.
  const plan: Record<string, Array<[string, Buffer]>> = {
    zebra: [
      ['a.png', png(10, 10, [250, 250, 250])],
      ['b.jpg', jpg(16, 8, [240, 240, 240])]
    ],
    cat: [
      ['c.png', png(40, 40, [200, 20, 20])],
      ['d.JPEG', jpg(33, 21, [210, 10, 10])],
      ['notes.txt', Buffer.from('ignored: not an image')]
    ],
    dog: [['e.png', png(8, 8, [0, 0, 255])]]
  }
  for (const [cls, files] of Object.entries(plan)) {
    await mkdir(path.join(root, 'good', cls), { recursive: true })
    for (const [f, bytes] of files) await writeFile(path.join(root, 'good', cls, f), bytes)
  }
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('image-folder datasets', () => {
  it('load PNG and JPEG images, one class per sub-folder, class names sorted, resized to the target size', async () => {
    const ds = await loadDataset(`folder:${path.join(root, 'good')}`, { folder: { height: 12, width: 12, channels: 3 } })
    expect(ds.classNames).toEqual(['cat', 'dog', 'zebra'])
    expect(ds.train.count).toBe(5)
    expect(ds.test).toBeNull()
    expect([ds.train.height, ds.train.width, ds.train.channels]).toEqual([12, 12, 3])
    expect(Array.from(ds.train.labels)).toEqual([0, 0, 1, 2, 2])
    const centre = (n: number) => Array.from(ds.train.pixels.subarray((n * 144 + 6 * 12 + 6) * 3, (n * 144 + 6 * 12 + 6) * 3 + 3))
    expect(centre(0)).toEqual([200, 20, 20])
    const jpegRed = centre(1)
    expect(jpegRed[0]).toBeGreaterThan(190) // JPEG is lossy: close, not exact
    expect(jpegRed[2]).toBeLessThan(30)
    expect(centre(2)).toEqual([0, 0, 255])
  })

  it('convert to grey with luma weights', async () => {
    const ds = await loadDataset(`folder:${path.join(root, 'good')}`, { folder: { height: 4, width: 4, channels: 1 } })
    expect(ds.train.channels).toBe(1)
    // Blue (0, 0, 255) -> 0.114 * 255 = 29.
    expect(ds.train.pixels[2 * 16 + 5]).toBe(29)
  })

  it('list unreadable images in one error, or leave them out with a warning when asked', async () => {
    const dir = path.join(root, 'broken')
    await mkdir(path.join(dir, 'a'), { recursive: true })
    await mkdir(path.join(dir, 'b'), { recursive: true })
    await writeFile(path.join(dir, 'a', 'ok.png'), png(4, 4, [1, 2, 3]))
    await writeFile(path.join(dir, 'a', 'cut.png'), png(4, 4, [1, 2, 3]).subarray(0, 30))
    await writeFile(path.join(dir, 'b', 'fake.jpg'), Buffer.from('hello'))
    await writeFile(path.join(dir, 'b', 'ok.jpg'), jpg(4, 4, [9, 9, 9]))
    const err = await loadDataset(`folder:${dir}`, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LabError)
    const msg = (err as LabError).message
    expect(msg).toMatch(new RegExp(`^${dir.replace(/[/\\.]/g, '\\$&')}: 2 images could not be read: `))
    expect(msg).toContain(`${path.join('a', 'cut.png')} (`)
    expect(msg).toContain(`${path.join('b', 'fake.jpg')} (not a PNG or JPEG file)`)
    expect(msg).toContain('Fix or remove them, or load with skipUnreadable to leave them out.')
    const ds = await loadDataset(`folder:${dir}`, { folder: { skipUnreadable: true, height: 4, width: 4 } })
    expect(ds.train.count).toBe(2)
    expect(Array.from(ds.train.labels)).toEqual([0, 1])
    expect(ds.warnings).toHaveLength(1)
    expect(ds.warnings[0]).toMatch(/^Left out 2 unreadable images: /)
  })

  it('use train/ and test/ folders as the splits when both exist', async () => {
    const dir = path.join(root, 'split')
    for (const [split, cls, n] of [
      ['train', 'x', 3],
      ['train', 'y', 2],
      ['test', 'x', 1],
      ['test', 'y', 1]
    ] as const) {
      await mkdir(path.join(dir, split, cls), { recursive: true })
      for (let i = 0; i < n; i++) await writeFile(path.join(dir, split, cls, `${i}.png`), png(5, 5, [i, i, i]))
    }
    const info = await inspectDataset(`folder:${dir}`, { folder: { height: 5, width: 5, channels: 1 } })
    expect(info).toMatchObject({ counts: { train: 5, test: 2 }, classNames: ['x', 'y'], inputShape: [5, 5, 1], trainCountsPerClass: [3, 2] })
  })

  it('say what is wrong with a folder that has no class sub-folders', async () => {
    const dir = path.join(root, 'flat')
    await mkdir(dir)
    await writeFile(path.join(dir, 'x.png'), png(2, 2, [0, 0, 0]))
    await expect(loadDataset(`folder:${dir}`, {})).rejects.toThrow(`${dir}: has no sub-folders; an image-folder dataset needs one sub-folder of images per class, at least two classes.`)
    await expect(loadDataset(`folder:${path.join(root, 'absent')}`, {})).rejects.toThrow('no such folder')
  })
})

describe('resizing', () => {
  it('area-averages when shrinking: a 4×4 checkerboard of 0/200 becomes a 2×2 of 100', () => {
    const src = Uint8Array.from({ length: 16 }, (_, i) => ((i >> 2) + (i & 3)) % 2 ? 200 : 0)
    expect(Array.from(resizeImage(src, 4, 4, 1, 2, 2, 'auto'))).toEqual([100, 100, 100, 100])
    // Non-integer ratio keeps the mean of a constant image.
    expect(Array.from(resizeImage(new Uint8Array(35).fill(77), 5, 7, 1, 3, 2, 'area'))).toEqual(new Array(6).fill(77))
  })

  it('interpolates bilinearly when enlarging: a 1×2 ramp 0→100 becomes 0, 25, 75, 100', () => {
    expect(Array.from(resizeImage(Uint8Array.from([0, 100]), 1, 2, 1, 1, 4, 'auto'))).toEqual([0, 25, 75, 100])
  })

  it('keeps channels apart', () => {
    const src = Uint8Array.from([10, 20, 30, 50, 60, 70])
    expect(Array.from(resizeImage(src, 1, 2, 3, 1, 1, 'area'))).toEqual([30, 40, 50])
  })
})
