// Fashion-MNIST (Zalando Research): 60,000 + 10,000 grey 28×28 images of clothing in 10 classes.
// Debian's dataset-fashion-mnist installs it in /usr/share/datasets/fashion-mnist; checksums are the README's MD5s.
import type { IdxDatasetSpec } from './idx-dataset'

export const FASHION_MNIST: IdxDatasetSpec = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  baseUrl: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  files: {
    trainImages: { downloadName: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
    trainLabels: { downloadName: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
    testImages: { downloadName: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
    testLabels: { downloadName: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' }
  },
  systemDirs: ['/usr/share/datasets/fashion-mnist'],
  layouts: ['FashionMNIST/raw', 'fashion-mnist', 'data/fashion', 'fashion']
}
