import type { FilterConfig } from './filter-config.js'

/**
 * A filter configuration with its file paths (auth key files, JWKS, API-key file, access-log file)
 * passed through `at`: the loader resolves relative ones against the configuration file's folder,
 * so a configuration means the same files whatever directory the balancer starts in.
 */
export function resolveFilterPaths(c: FilterConfig, at: (path: string) => string): FilterConfig {
  switch (c.type) {
    case 'auth': {
      const jwt = c.jwt
      const keys = c.apiKeys
      return {
        ...c,
        ...(jwt === undefined
          ? {}
          : {
              jwt: {
                ...jwt,
                ...(jwt.jwksFile === undefined ? {} : { jwksFile: at(jwt.jwksFile) }),
                ...(jwt.keys === undefined ? {} : { keys: jwt.keys.map((k) => ('publicKeyFile' in k ? { ...k, publicKeyFile: at(k.publicKeyFile) } : k)) }),
              },
            }),
        ...(keys?.keysFile === undefined ? {} : { apiKeys: { ...keys, keysFile: at(keys.keysFile) } }),
      }
    }
    case 'access-log':
      return c.destination === 'stdout' ? c : { ...c, destination: { file: at(c.destination.file) } }
    default:
      return c
  }
}
