import { createSentinel } from 'redis';
const s = createSentinel({ name: 'mymaster', sentinelRootNodes: [{host:'127.0.0.1',port:7101},{host:'127.0.0.1',port:7102}],
  nodeClientOptions: { disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: (r)=> Math.min(50*2**r, 1000) } },
  sentinelClientOptions: { socket: { connectTimeout: 500 } },
  commandOptions: { timeout: 0 }, scanInterval: 1000 , passthroughClientErrorEvents: true});
const t0 = Date.now();
const log = (...a) => console.log(((Date.now()-t0)/1000).toFixed(2), ...a);
s.on('error', (e) => log('error', e.constructor.name, e.message));
s.on('topology-change', (e) => log('topology', JSON.stringify(e)));
for (const ev of ['ready','connect','end','reconnecting']) s.on(ev, () => log('ev', ev));
globalThis.__trace=[]; s.setTracer?.({push:(l)=>globalThis.__trace.push(((Date.now()-t0)/1000).toFixed(2)+' '+l)}); await s.connect();
log('connected', s.isReady, s.getMasterNode());
await s.subscribe('chan', (m) => log('msg', m));
log('subscribed');
let i = 0;
const iv = setInterval(async () => {
  const n = ++i; const st = Date.now();
  try { await Promise.race([s.set('k'+n, 'v'), new Promise((_, r) => setTimeout(() => r(new Error('timeout')), 1000))]); if (n % 10 === 0) log('set ok', n, s.isReady); }
  catch (e) { log('set fail', n, e.constructor.name, e.message, Date.now()-st, 'ready', s.isReady); }
}, 50);
setInterval(async () => { try { await s.publish('chan', 'hi'+i) } catch (e) { log('pub fail', e.message) } }, 500);
setTimeout(() => { console.log(globalThis.__trace.filter(l=>parseFloat(l)>2.5 && parseFloat(l)<7.5 && !l.includes('attemping')).join('\n').slice(0,8000), globalThis.__trace.filter(l=>l.includes('attemping')).length); clearInterval(iv); s.destroy(); process.exit(0) }, Number(process.argv[2] ?? 15000));
