"""Runs MicroPython firmware unchanged under CPython or under the MicroPython unix port.

What the firmware expects from a board comes from ./shims: under CPython, small stand-ins for
usocket, ussl, ustruct, ubinascii, utime, machine and network; under MicroPython only what the
unix port lacks (machine.Pin, network, and ussl, which old umqtt.simple imports when ssl=True),
since the interpreter's own built-in modules come before files on its path. umqtt.simple is the
real micropython-umqtt.simple 1.3.4 from PyPI, which `.ci/run` unpacks into
<repo>/.venv/micropython-lib (or set UMQTT_PATH). The firmware's settings come from a `config`
module built from the environment the harness provides:

    HUB_HOST, HUB_PORT, DEVICE_ID, USERNAME, PASSWORD, HUB_TLS (1: TLS, 0: plain TCP), CA_FILE (the root to trust; TLS when set if HUB_TLS is absent),
    TOKEN_URL, TOKEN_KEY, TOKEN_TTL (fetch the password from a token service when PASSWORD
    is empty), WIFI_SSID, WIFI_PASSWORD (the network shim accepts any).

Usage:
    python3 -u run.py | micropython run.py [--prelude FILE] [--firmware main.py]
        runs the prelude (the harness's, which reports pins and MQTT traffic as '@harness'
        lines) and then the firmware, as a process device;
    python3 -u run.py --exec FILE
        runs FILE as a MicroPython board would run code sent over its raw REPL (the harness
        tests use this to emulate a board on a pseudo-terminal).
"""
import os
import sys

ON_MICROPYTHON = sys.implementation.name == 'micropython'


def folder_of(path):
    # MicroPython has no os.path; both runtimes take '/' paths.
    index = path.rfind('/')
    return '.' if index < 0 else (path[:index] or '/')


HERE = folder_of(__file__)
REPOSITORY = HERE + '/../../..'
UMQTT_PATH = os.getenv('UMQTT_PATH') or REPOSITORY + '/.venv/micropython-lib'


def fail(message):
    print('run.py: ' + message, file=sys.stderr)
    sys.exit(2)


def is_file(path):
    try:
        open(path).close()
        return True
    except OSError:
        return False


def options(argv):
    chosen = {'--prelude': os.getenv('PRELUDE_FILE') or None, '--firmware': HERE + '/main.py', '--exec': None}
    index = 0
    while index < len(argv):
        name = argv[index]
        if name not in chosen or index + 1 >= len(argv):
            fail('usage: run.py [--prelude FILE] [--firmware FILE] | --exec FILE (got %r)' % name)
        chosen[name] = argv[index + 1]
        index += 2
    return chosen


def run_file(path, name='__main__'):
    try:
        with open(path) as source:
            code = compile(source.read(), path, 'exec')
    except OSError as error:
        fail('cannot read %s: %s' % (path, getattr(error, 'strerror', None) or error))
    exec(code, {'__name__': name, '__file__': path})


def token_from_service():
    if ON_MICROPYTHON:
        fail('fetching the token from TOKEN_URL needs CPython (urllib); under MicroPython give the device a token (PASSWORD)')
    import urllib.error
    import urllib.parse
    import urllib.request

    url = os.environ.get('TOKEN_URL', '')
    query = urllib.parse.urlencode({'device': os.environ.get('DEVICE_ID', ''), 'ttl': os.environ.get('TOKEN_TTL', '3600')})
    request = urllib.request.Request(url + '?' + query, headers={'x-functions-key': os.environ.get('TOKEN_KEY', '')})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode().strip()
    except urllib.error.HTTPError as error:
        fail('the token service at %s answered HTTP %d' % (url, error.code))
    except OSError as error:
        fail('cannot reach the token service at %s: %s' % (url, error))


def setting(name, default=''):
    value = os.getenv(name)
    return default if value is None else value


def install_config():
    class Config:
        pass

    config = Config()
    config.HOST = setting('HUB_HOST', '127.0.0.1')
    try:
        config.PORT = int(setting('HUB_PORT', '8883'))
    except ValueError:
        fail('HUB_PORT is not a number')
    config.DEVICE_ID = setting('DEVICE_ID', 'esp8266')
    config.USERNAME = setting('USERNAME')
    config.PASSWORD = setting('PASSWORD')
    if not config.PASSWORD and setting('TOKEN_URL'):
        config.PASSWORD = token_from_service()
    config.CERT_PATH = setting('CA_FILE')
    tls = setting('HUB_TLS')
    config.SSL = tls == '1' if tls in ('0', '1') else bool(config.CERT_PATH)
    config.WIFI_SSID = setting('WIFI_SSID', 'harness')
    config.WIFI_PASSWORD = setting('WIFI_PASSWORD')
    sys.modules['config'] = config


def main(argv):
    chosen = options(argv)
    if not is_file(UMQTT_PATH + '/umqtt/simple.py'):
        fail('umqtt.simple 1.3.4 is missing from %s; run .ci/run to fetch it (or set UMQTT_PATH)' % UMQTT_PATH)
    sys.path.insert(0, HERE + '/shims')
    sys.path.insert(1, UMQTT_PATH)
    if chosen['--exec']:
        run_file(chosen['--exec'])
        return
    install_config()
    if chosen['--prelude']:
        run_file(chosen['--prelude'], name='harness_prelude')
    run_file(chosen['--firmware'])


if __name__ == '__main__':
    main(sys.argv[1:])
