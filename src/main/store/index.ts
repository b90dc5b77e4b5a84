// The lab's store: SQLite in WAL mode with migrations. Construct it with openStore; depend on the Store interface.
export { openStore, newId, STORE_FILE_NAME, type Store } from './store'
export type * from './types'
