# The seed firmware, from Steve Spencer's blog "Connecting the ESP 8266 to Azure IoT Hub using
# MQTT and MicroPython": join Wi-Fi, connect to IoT Hub with umqtt.simple and a SAS token as
# password, subscribe to the cloud-to-device topic, and switch the status LED on for the
# message "on" and off for anything else. The logic is the blog's; only the values the blog
# pastes in (hub, user name, token, certificate) come from `config`, which the harness
# provides: the CPython launcher (run.py) from its environment, the serial device on a board.
import time

import machine
import network

import config

blueled = machine.Pin(2, machine.Pin.OUT)  # the board's blue LED (GPIO 2): shows progress
statusled = machine.Pin(5, machine.Pin.OUT)  # the LED the cloud switches (GPIO 5, D1)


def flashled(count, delay, led):
    for i in range(count):
        led.on()
        time.sleep(delay)
        led.off()
        time.sleep(delay)


def connectWifi():
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if not wlan.isconnected():
        print('connecting to network...')
        wlan.connect(config.WIFI_SSID, config.WIFI_PASSWORD)
        while not wlan.isconnected():
            pass
    print('network config:', wlan.ifconfig())


def lightLed(topic, msg):
    if msg == b'on':
        statusled.on()
    else:
        statusled.off()


def connectMQTT():
    from umqtt.simple import MQTTClient

    sslparams = {}
    if config.SSL:
        CERT_PATH = config.CERT_PATH
        print('getting cert')
        with open(CERT_PATH, 'r') as f:
            cert = f.read()
        print('got cert')
        sslparams = {'cert': cert}

    CLIENT_ID = config.DEVICE_ID
    Username = config.USERNAME
    Password = config.PASSWORD

    mqtt = MQTTClient(client_id=CLIENT_ID, server=config.HOST, port=config.PORT, user=Username, password=Password, keepalive=4000, ssl=config.SSL, ssl_params=sslparams)

    mqtt.set_callback(lightLed)
    mqtt.connect(False)

    mqtt.subscribe('devices/' + CLIENT_ID + '/messages/devicebound/#')
    flashled(4, 0.1, blueled)

    return mqtt


connectWifi()
mqtt = connectMQTT()
print('connected...')
while True:
    mqtt.wait_msg()
