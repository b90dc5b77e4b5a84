// What every dataset loader returns: pixels kept as uint8 NHWC (a quarter of float32's memory),
// converted to float only per batch (see splits.ts).

/** A set of same-sized images and their class labels. */
export interface ImageSet {
  /** count × height × width × channels bytes, NHWC, row-major. */
  pixels: Uint8Array
  /** One class index per image, 0..classes-1. */
  labels: Int32Array
  count: number
  height: number
  width: number
  channels: number
}

export interface LoadedDataset {
  /** 'fashion-mnist', 'mnist', 'cifar10' or 'folder:<path>'. */
  name: string
  /** Folder (or file) the data was read from. */
  sourcePath: string
  train: ImageSet
  /** The dataset's own test set, or null when it has none (splits.ts then carves one from train). */
  test: ImageSet | null
  classNames: string[]
  /** Things a person should know but that did not stop the load (e.g. skipped unreadable images). */
  warnings: string[]
}

/** Bytes in one image of a set. */
export function imageBytes(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels
}

/** Thousands separators for numbers in error sentences ("47,040,016 bytes"). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
