# Sourced by parta-firstboot and parta-usb: what they tell a person about the box (the Wi-Fi name,
# the portal's address), read from /etc/parta/box.conf, so the console's greeting and the password
# note on a USB stick say the same. parta-render-config checks that file; this only reads it, and
# falls back to the defaults when a value is missing (the box must still say something).

# box_setting FILE KEY DEFAULT: the value of the last "KEY = value" line (spaces around it
# trimmed, as parta-render-config reads it), or DEFAULT when there is none or it is empty.
box_setting() {
  local line value=""
  if [[ -r $1 ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]] &&
        [[ ${BASH_REMATCH[1]} == "$2" ]] && value=${BASH_REMATCH[2]:-}
    done <"$1"
  fi
  printf '%s\n' "${value:-$3}"
}
box_wifi_name() { box_setting "$1" ssid Parta; }
box_portal_url() { printf 'http://%s/\n' "$(box_setting "$1" portal_host parta.school)"; }
box_timezone() { box_setting "$1" timezone ""; }
box_wifi_is_open() { [[ -z $(box_setting "$1" passphrase "") ]]; }
