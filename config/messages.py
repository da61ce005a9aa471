"""What citizens read: every text in Indonesian first, English available.

``text(key, lang, **values)`` fills a template. SMS texts stay within 160 GSM-7
characters with an 11-digit tracking number and any agency name up to 40 characters;
``tests/normalizer`` checks the SMS ones.
"""
from __future__ import annotations

STATUS_LABELS = {
    "diterima": ("diterima gateway", "received"),
    "diteruskan": ("diteruskan ke admin LAPOR", "forwarded to the LAPOR admin"),
    "verifikasi": ("diverifikasi admin", "being verified"),
    "disposisi": ("diteruskan ke instansi", "assigned to an agency"),
    "proses": ("sedang diproses", "in process"),
    "selesai": ("selesai", "finished"),
    "ditolak": ("tidak dapat diproses", "cannot be processed"),
}

MESSAGES = {
    "ack": (
        "LAPOR! Laporan Anda diterima. No. lacak: {tracking}. Cek status: kirim CEK {compact}"
        "{where_id}. Batas tindak lanjut {due}.",
        "LAPOR! Your report was received. Tracking no: {tracking}. Check status: send CEK "
        "{compact}{where_en}. Follow-up due {due}.",
    ),
    "ack_duplicate": (
        "LAPOR! Laporan ini sudah kami terima sebelumnya. No. lacak: {tracking}.",
        "LAPOR! We already received this report. Tracking no: {tracking}.",
    ),
    "status": (
        "LAPOR! {tracking}: {status}. Instansi: {agency}. Batas: {due}.",
        "LAPOR! {tracking}: {status}. Agency: {agency}. Due: {due}.",
    ),
    "status_unknown": (
        "LAPOR! No. lacak {number} tidak ditemukan. Periksa lagi 11 angka nomor Anda, "
        "lalu kirim CEK <nomor>.",
        "LAPOR! Tracking no {number} was not found. Check the 11 digits and send CEK <number>.",
    ),
    "status_limited": (
        "LAPOR! Terlalu banyak permintaan CEK. Coba lagi beberapa saat lagi.",
        "LAPOR! Too many CEK requests. Please try again in a while.",
    ),
    "status_mistyped": (
        "LAPOR! No. lacak {number} salah ketik (angka terakhir tidak cocok). Periksa lagi "
        "nomor Anda, lalu kirim CEK <nomor>.",
        "LAPOR! Tracking no {number} has a typo (the last digit does not match). Check it and "
        "send CEK <number>.",
    ),
    "status_missing_number": (
        "LAPOR! Kirim CEK diikuti nomor lacak Anda, mis. CEK 27410935882.",
        "LAPOR! Send CEK followed by your tracking number, e.g. CEK 27410935882.",
    ),
    "not_assigned": ("belum ditentukan", "not yet assigned"),
    # Twitter/X public replies (channels/twitter/adapter.py): only the tracking number and where
    # to follow it, never the complaint or the reporter; everything else goes by DM
    "ack_public": (
        "LAPOR! Laporan Anda diterima. No. lacak: {tracking}. {where}",
        "LAPOR! Your report was received. Tracking no: {tracking}. {where}",
    ),
    "update_public": (
        "LAPOR! Ada kabar baru untuk laporan {tracking}. {where}",
        "LAPOR! There is news on report {tracking}. {where}",
    ),
    "twitter_where_url": ("Pantau: {url}", "Follow it: {url}"),
    "twitter_where_cek": ('Cek status: twit "{mention}CEK {compact}"',
                          'Check status: tweet "{mention}CEK {compact}"'),
    "dm_refused_public": (
        "LAPOR! Balasan kami tidak dapat dikirim lewat DM. Izinkan DM dari akun ini, lalu "
        "kirim pesan Anda lagi.",
        "LAPOR! We could not answer you by DM. Allow DMs from this account, then write again.",
    ),
    "ack_followup": (
        "LAPOR! Tambahan untuk laporan {tracking} sudah kami terima.",
        "LAPOR! Your addition to report {tracking} was received.",
    ),
    "ack_edit": (
        "LAPOR! Perubahan laporan {tracking} sudah kami terima.",
        "LAPOR! Your change to report {tracking} was received.",
    ),
    "optout_done": (
        "LAPOR! Anda tidak akan menerima kabar status lagi. Kirim MULAI untuk menerimanya kembali.",
        "LAPOR! You will get no more status updates. Send MULAI to get them again.",
    ),
    "optin_done": (
        "LAPOR! Kabar status laporan Anda akan kami kirim lagi. Kirim STOP untuk berhenti.",
        "LAPOR! We will send your status updates again. Send STOP to stop them.",
    ),
    "help": (
        "LAPOR! Kirim: LAPOR <isi aduan>, ASPIRASI <usul>, INFO <pertanyaan>. Tambah ANONIM "
        "atau RAHASIA. Cek: CEK <nomor>. STOP: tanpa kabar.",
        "LAPOR! Send: LAPOR <complaint>, ASPIRASI <idea>, INFO <question>. Add ANONIM or "
        "RAHASIA. Status: CEK <number>. STOP: no updates.",
    ),
    "status_notice": (
        "LAPOR! Laporan {tracking}: {status}. Instansi: {agency}. Batas: {due}.",
        "LAPOR! Report {tracking}: {status}. Agency: {agency}. Due: {due}.",
    ),
    "sms_unavailable": (  # Kannel's reply-couldnotfetch (docs/kannel.md), sent by Kannel itself
        "LAPOR! Maaf, SMS Anda belum dapat kami proses. Silakan kirim ulang beberapa saat lagi.",
        "LAPOR! Sorry, we could not process your SMS. Please send it again in a while.",
    ),
    "whatsapp_status_template": (  # body of the Meta template (docs/channels/whatsapp.md);
        # Meta holds the text: {notice} is the template's {{1}}, filled by channels.whatsapp
        "Kabar terbaru dari LAPOR!: {notice} Kirim CEK <nomor lacak> untuk melihat status terkini.",
        "Update from LAPOR!: {notice} Send CEK <tracking number> for the latest status.",
    ),
    # the Telegram bot's command menu (setMyCommands, by `lapor-gateway telegram set-webhook`)
    "telegram_command_status": ("Cek status laporan: /status <nomor lacak>",
                                "Check a report's status: /status <tracking number>"),
    "telegram_command_baru": ("Mulai laporan baru: /baru <isi laporan>",
                              "Start a new report: /baru <your report>"),
    "telegram_command_bantuan": ("Cara melapor ke LAPOR!", "How to report to LAPOR!"),
    "telegram_command_stop": ("Berhenti menerima kabar status", "Stop status updates"),
    "telegram_command_mulai": ("Terima kabar status lagi", "Get status updates again"),
}


class _Values(dict):
    """Template values; the optional ``where_*`` parts (e.g. " ke 1708") default to empty."""

    def __missing__(self, key: str) -> str:
        if key.startswith("where_"):
            return ""
        raise KeyError(key)


def text(key: str, lang: str = "id", **values) -> str:
    indonesian, english = MESSAGES[key]
    template = english if lang == "en" else indonesian
    return template.format_map(_Values(values))


def status_label(status: str, lang: str = "id") -> str:
    labels = STATUS_LABELS.get(status, (status, status))
    return labels[1] if lang == "en" else labels[0]


def format_date(iso_date: str) -> str:
    """2026-12-14 -> 14-12-2026, the order Indonesians write dates."""
    year, month, day = iso_date[:10].split("-")
    return f"{day}-{month}-{year}"
