"""The official Azure IoT Python device SDK (azure-iot-device), unmodified, as a device of the
simulated hub. Driven by the Swift test IoTHubSDKTests: it prints one event per line on
stdout and reads commands on stdin.

Usage: sdk_device.py [--websockets] CONNECTION_STRING CA_PEM_PATH SASTOKEN_TTL_SECONDS [RETRY_INTERVAL_SECONDS]

--websockets connects with websockets=True: MQTT over WebSockets, which the SDK always dials on
port 443 at /$iothub/websocket.

Output lines: CONNECTED, READY, TWIN <json>, C2D <message id> <body> <custom properties json>,
METHOD <name> <payload json>, DESIRED <patch json>, STATE <connected>, FAULT_SENT <type>,
ERROR <text>, DONE.
Commands: "quit"; "fault TYPE CLOSE_REASON DELAY DURATION" sends the fault-injection
telemetry message the SDKs' end-to-end suites send (AzIoTHub_Fault* properties), on a thread
of its own: the hub may drop the connection before its PUBACK, and the SDK then sends it again
after reconnecting (FAULT_SENT once it is acknowledged).
"""
import json
import sys
import threading
import traceback


from sdk_output import out


def main():
    try:
        from azure.iot.device import IoTHubDeviceClient, Message, MethodResponse
    except ImportError as error:
        out("ERROR azure-iot-device is not installed in this interpreter (run .ci/run):", error)
        return 3

    arguments = sys.argv[1:]
    options = {}
    if arguments and arguments[0] == "--websockets":
        arguments = arguments[1:]
        options["websockets"] = True
    connection_string, ca_path, ttl = arguments[0], arguments[1], int(arguments[2])
    if len(arguments) > 3:
        options["connection_retry_interval"] = int(arguments[3])
    with open(ca_path, encoding="ascii") as handle:
        ca = handle.read()
    client = IoTHubDeviceClient.create_from_connection_string(
        connection_string, server_verification_cert=ca, sastoken_ttl=ttl, **options
    )

    def send_fault(fault_type, reason, delay, duration):
        message = Message(" ")
        message.custom_properties["AzIoTHub_FaultOperationType"] = fault_type
        message.custom_properties["AzIoTHub_FaultOperationCloseReason"] = reason
        message.custom_properties["AzIoTHub_FaultOperationDelayInSecs"] = delay
        message.custom_properties["AzIoTHub_FaultOperationDurationInSecs"] = duration
        try:
            client.send_message(message)
            out("FAULT_SENT", fault_type)
        except Exception as error:  # reported to the Swift test, which fails on ERROR lines
            out("ERROR fault message not sent:", repr(error))

    def on_message(message):
        body = message.data.decode("utf-8") if isinstance(message.data, bytes) else str(message.data)
        out("C2D", message.message_id, body, json.dumps(message.custom_properties, sort_keys=True))

    def on_method(request):
        out("METHOD", request.name, json.dumps(request.payload, sort_keys=True))
        client.send_method_response(MethodResponse.create_from_method_request(request, 200, {"echo": request.payload}))

    def on_desired(patch):
        out("DESIRED", json.dumps(patch, sort_keys=True))

    def on_state():
        out("STATE", client.connected)

    client.on_connection_state_change = on_state
    client.connect()
    out("CONNECTED")
    client.on_message_received = on_message
    client.on_method_request_received = on_method
    client.on_twin_desired_properties_patch_received = on_desired
    client.patch_twin_reported_properties({"led": "on", "firmware": {"version": 2}})
    out("TWIN", json.dumps(client.get_twin(), sort_keys=True))
    out("READY")
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        if len(words) == 5 and words[0] == "fault":
            threading.Thread(target=send_fault, args=words[1:], daemon=True).start()
    client.shutdown()
    out("DONE")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # the Swift test shows this output when it fails
        out("ERROR", traceback.format_exc().replace("\n", " | "))
        sys.exit(1)
