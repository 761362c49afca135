"""MicroPython's ussl on CPython: wrap_socket over the standard ssl module.

The seed firmware passes the hub's root certificate as `ssl_params={'cert': ...}`. On the
ESP8266 (axTLS) that parameter is the client certificate and the server is not verified; here
it is taken as what the seed meant, the trusted root, together with the file named by the
CA_FILE environment variable. With a root the server's certificate chain is verified; the
host name only when `server_hostname` is given (umqtt.simple 1.3.4 gives none, so no SNI).
"""
import os
import ssl as _ssl


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=None, cadata=None, server_hostname=None, do_handshake=True, **unused):
    context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = server_hostname is not None
    roots = 0
    if os.environ.get('CA_FILE'):
        context.load_verify_locations(cafile=os.environ['CA_FILE'])
        roots += 1
    for text in (cadata, cert):
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode()
        if text and 'BEGIN CERTIFICATE' in text:
            context.load_verify_locations(cadata=text)
            roots += 1
    context.verify_mode = _ssl.CERT_REQUIRED if roots else _ssl.CERT_NONE
    # The usocket shim keeps the CPython socket in `_sock`. Its class is taken from the object,
    # not from `usocket`: the harness prelude replaces that module with a tapping wrapper.
    inner = getattr(sock, '_sock', sock)
    wrapped = context.wrap_socket(inner, server_hostname=server_hostname, do_handshake_on_connect=do_handshake)
    return type(sock)(_wrapped=wrapped) if inner is not sock else wrapped
