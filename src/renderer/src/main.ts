import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { createLabRouter } from './router'
import { createLabConnection } from './lab/client'
import { startLabSession } from './lab/session'
import './styles/theme.css'

// The connection is made first: it takes the token out of the address bar before the router reads the URL.
const connection = createLabConnection()
const app = createApp(App)
app.use(createPinia())
app.use(createLabRouter())
startLabSession(connection)
app.mount('#app')
