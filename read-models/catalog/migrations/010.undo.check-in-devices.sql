DROP TABLE check_in_devices;
