"""MicroPython's old ussl where the interpreter has none: wrap_socket with the seed's meaning.

CPython has no ussl; the MicroPython unix port since 1.23 neither (its `ssl` became a Python
module), and umqtt.simple 1.3.4 does `import ussl` when ssl=True. Here wrap_socket sits on
CPython's `ssl`, or on MicroPython's own `ssl` (mbedTLS).

The seed firmware passes the hub's root certificate as `ssl_params={'cert': ...}`. On the
ESP8266 (axTLS) that parameter is the client certificate and the server is not verified; here
it is taken as what the seed meant, the trusted root, together with the file named by the
CA_FILE environment variable. With a root the server's certificate chain is verified. Under
CPython the host name is checked only when `server_hostname` is given (umqtt.simple 1.3.4 gives
none, so no SNI); MicroPython 1.28 refuses to verify without a host name, so there it is the
hub's host (HUB_HOST, else the `config` module's HOST) and is checked against the certificate.
"""
import os
import sys

if sys.implementation.name == 'micropython':
    import ssl as _ssl

    CERT_NONE = _ssl.CERT_NONE
    CERT_OPTIONAL = _ssl.CERT_OPTIONAL
    CERT_REQUIRED = _ssl.CERT_REQUIRED
    SSLContext = _ssl.SSLContext
    PROTOCOL_TLS_CLIENT = _ssl.PROTOCOL_TLS_CLIENT
    PROTOCOL_TLS_SERVER = _ssl.PROTOCOL_TLS_SERVER
else:
    import ssl as _ssl


def _text(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode()
    return value


def _roots(cert, cadata):
    """The PEM roots to trust: CA_FILE's, then those passed in cadata or cert."""
    roots = []
    path = os.getenv('CA_FILE')
    if path:
        with open(path) as file:
            roots.append(file.read())
    for text in (_text(cadata), _text(cert)):
        if text and 'BEGIN CERTIFICATE' in text and text not in roots:
            roots.append(text)
    return roots


def _der_certificates(pem):
    """Each certificate of a PEM text, as DER: MicroPython's mbedTLS context loads DER only."""
    from ubinascii import a2b_base64

    certificates = []
    lines = None
    for line in pem.split('\n'):
        line = line.strip()
        if line == '-----BEGIN CERTIFICATE-----':
            lines = []
        elif line == '-----END CERTIFICATE-----' and lines is not None:
            certificates.append(a2b_base64(''.join(lines)))
            lines = None
        elif lines is not None:
            lines.append(line)
    return certificates


def _hub_host():
    host = os.getenv('HUB_HOST')
    if not host:
        config = sys.modules.get('config')
        host = getattr(config, 'HOST', None) if config is not None else None
    return host


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=None, cadata=None, server_hostname=None, do_handshake=True, **unused):
    roots = _roots(cert, cadata)
    if sys.implementation.name == 'micropython':
        context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
        for text in roots:
            for certificate in _der_certificates(text):
                context.load_verify_locations(cadata=certificate)
        context.verify_mode = _ssl.CERT_REQUIRED if roots else _ssl.CERT_NONE
        if roots and server_hostname is None:
            server_hostname = _hub_host()
        return context.wrap_socket(sock, server_hostname=server_hostname, do_handshake_on_connect=do_handshake)
    context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = server_hostname is not None
    for text in roots:
        context.load_verify_locations(cadata=text)
    context.verify_mode = _ssl.CERT_REQUIRED if roots else _ssl.CERT_NONE
    # The usocket shim keeps the CPython socket in `_sock`. Its class is taken from the object,
    # not from `usocket`: the harness prelude replaces that module with a tapping wrapper.
    inner = getattr(sock, '_sock', sock)
    wrapped = context.wrap_socket(inner, server_hostname=server_hostname, do_handshake_on_connect=do_handshake)
    return type(sock)(_wrapped=wrapped) if inner is not sock else wrapped
