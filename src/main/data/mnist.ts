// MNIST handwritten digits: 60,000 + 10,000 grey 28×28 images, classes '0'..'9'.
// Downloaded from the PyTorch project's mirror (the original site often refuses downloads); MD5s as torchvision lists them.
import type { IdxDatasetSpec } from './idx-dataset'

export const MNIST: IdxDatasetSpec = {
  name: 'mnist',
  title: 'MNIST',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
  files: {
    trainImages: { downloadName: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
    trainLabels: { downloadName: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
    testImages: { downloadName: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3' },
    testLabels: { downloadName: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c' }
  },
  systemDirs: ['/usr/share/datasets/mnist'],
  layouts: ['MNIST/raw', 'mnist']
}
