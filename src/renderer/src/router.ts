// Hash history, so any static host (and file://) can serve the page.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import DevicesView from './views/DevicesView.vue'
import ProfileView from './views/ProfileView.vue'
import SearchView from './views/SearchView.vue'
import QuantizeView from './views/QuantizeView.vue'
import RunsView from './views/RunsView.vue'
import CompareView from './views/CompareView.vue'
import CandidateView from './views/CandidateView.vue'
import type { IconName } from './components/icons'

declare module 'vue-router' {
  interface RouteMeta {
    title: string
    icon: IconName
  }
}

export const APP_NAME = 'Proxyless Lab'

export const viewRoutes = [
  { path: '/devices', name: 'devices', component: DevicesView, meta: { title: 'Devices', icon: 'phone' } },
  { path: '/profile', name: 'profile', component: ProfileView, meta: { title: 'Profile', icon: 'gauge' } },
  { path: '/search', name: 'search', component: SearchView, meta: { title: 'Search', icon: 'search' } },
  { path: '/quantize', name: 'quantize', component: QuantizeView, meta: { title: 'Quantize', icon: 'steps' } },
  { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs', icon: 'list' } },
  { path: '/compare', name: 'compare', component: CompareView, meta: { title: 'Compare', icon: 'scatter' } }
] satisfies RouteRecordRaw[]

export function createLabRouter() {
  const router = createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: '/devices' },
      ...viewRoutes,
      // Not in the side navigation: opened from a point in Compare or a row of a front table.
      { path: '/candidates/:id', name: 'candidate', component: CandidateView, meta: { title: 'Candidate', icon: 'scatter' } },
      { path: '/:unknown(.*)*', redirect: '/devices' }
    ]
  })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · ${APP_NAME}` : APP_NAME
  })
  return router
}
