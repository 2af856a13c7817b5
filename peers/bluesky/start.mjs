// A real local Bluesky server for Relais's tests: a PLC directory and a PDS from
// @atproto/dev-env's TestNetworkNoAppView (no app view, no relay, no outside network).
//
// Usage: node start.mjs [--port N] [--plc-port N] [--ignore-stdin]
//   --port N       the PDS's port (or BLUESKY_PDS_PORT); default: a free port
//   --plc-port N   the PLC directory's port (or BLUESKY_PLC_PORT); default: a free port
//   --ignore-stdin keep running when stdin closes (by default the end of stdin stops the
//                  server, so that it dies with the process that started it)
//
// It creates two accounts and an app password for each, then prints ONE line of JSON on stdout:
//   {"service":"http://127.0.0.1:PORT","plc":"http://127.0.0.1:PORT",
//    "accounts":[{"handle","did","email","password","appPassword"}, ...]}
// and runs until SIGTERM, SIGINT or the end of stdin, then shuts down and removes its data.
// Everything else (logs, errors) goes to stderr. Servers listen on 127.0.0.1 only.

import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const log = (...args) => console.error('[bluesky-peer]', ...args)

// Nothing but the JSON line may reach stdout: send console output and the atproto loggers
// (enabled with LOG_ENABLED=true) to stderr.
console.log = console.error
console.info = console.error
if (!process.env.LOG_DESTINATION) process.env.LOG_DESTINATION = '/dev/stderr'

function option(flag, envName) {
  const i = process.argv.indexOf(flag)
  const raw = i >= 0 ? process.argv[i + 1] : process.env[envName]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${flag} / ${envName} must be a port number, got ${JSON.stringify(raw)}`)
  }
  return n === 0 ? undefined : n
}

// The dev network's servers call `listen(port)`, which binds every interface. Tests need only
// the loopback interface: bind servers that name no host to 127.0.0.1.
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && 'port' in args[0] && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return originalListen.apply(this, args)
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    originalListen.call(srv, 0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

const ACCOUNTS = [
  { handle: 'brand.test', email: 'brand@relais.test', password: 'brand-password-1' },
  { handle: 'fan.test', email: 'fan@relais.test', password: 'fan-password-1' },
]

let network
let dataDir
let stopping = false

async function shutdown(reason, code = 0) {
  if (stopping) return
  stopping = true
  log(`stopping (${reason})`)
  setTimeout(() => {
    log('shutdown took too long, exiting anyway')
    removeData()
    process.exit(code || 1)
  }, 10_000).unref()
  try {
    if (network) await network.close()
  } catch (err) {
    log('error while closing the network:', err)
  }
  removeData()
  process.exit(code)
}

function removeData() {
  if (dataDir) {
    try {
      fs.rmSync(dataDir, { recursive: true, force: true })
    } catch (err) {
      log(`cannot remove ${dataDir}:`, err)
    }
    dataDir = undefined
  }
}

process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGHUP', () => shutdown('SIGHUP'))
if (!process.argv.includes('--ignore-stdin')) {
  process.stdin.on('end', () => shutdown('stdin closed'))
  process.stdin.on('close', () => shutdown('stdin closed'))
  process.stdin.on('error', () => shutdown('stdin error'))
  process.stdin.resume()
}
process.on('unhandledRejection', (err) => {
  log('unhandled rejection:', err)
})

async function main() {
  const pdsPort = option('--port', 'BLUESKY_PDS_PORT') ?? (await freePort())
  const plcPort = option('--plc-port', 'BLUESKY_PLC_PORT') ?? (await freePort())
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-bluesky-'))
  fs.mkdirSync(path.join(dataDir, 'pds'))
  // dev-env and the PDS also make temporary directories of their own: keep them in ours, so
  // that shutting down removes everything.
  process.env.TMPDIR = dataDir

  // Imported only now, so that the loggers see the environment set above.
  const { TestNetworkNoAppView } = await import('@atproto/dev-env')
  const { AtpAgent } = await import('@atproto/api')

  log(`starting PLC on 127.0.0.1:${plcPort} and PDS on 127.0.0.1:${pdsPort}, data in ${dataDir}`)
  network = await TestNetworkNoAppView.create({
    plc: { port: plcPort },
    pds: {
      port: pdsPort,
      dataDirectory: path.join(dataDir, 'pds'),
      blobstoreDiskLocation: path.join(dataDir, 'blobs'),
      blobstoreDiskTmpLocation: path.join(dataDir, 'blobs-tmp'),
    },
  })
  if (stopping) return

  const service = `http://127.0.0.1:${network.pds.port}`
  const accounts = []
  for (const account of ACCOUNTS) {
    const agent = new AtpAgent({ service })
    const created = await agent.createAccount(account)
    const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'relais' })
    accounts.push({
      handle: created.data.handle,
      did: created.data.did,
      email: account.email,
      password: account.password,
      appPassword: appPassword.data.password,
    })
  }

  const ready = {
    service,
    plc: `http://127.0.0.1:${network.plc.port}`,
    accounts,
  }
  process.stdout.write(`${JSON.stringify(ready)}\n`)
  log(`ready: ${service}`)
}

main().catch((err) => {
  log('failed to start:', err)
  shutdown('startup failure', 1)
})
