"""The words of the citizen's web pages (form, result, status, errors): Indonesian first,
English with ``?lang=en``. Templates call ``t(key, **values)``; ``translator(lang)`` makes
that function. Texts that SMS and the web share (status labels, dates) stay in
``config.messages``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from normalizer.grammar import ASPIRASI, PENGADUAN, PERMINTAAN_INFORMASI

WIB = timezone(timedelta(hours=7), "WIB")

TEXTS = {
    "site": ("LAPOR! Layanan Aspirasi dan Pengaduan Online Rakyat",
             "LAPOR! Public Complaints and Aspirations Online"),
    "switch": ("English", "Bahasa Indonesia"),
    "footer": ("SP4N-LAPOR! Anda juga dapat melapor lewat SMS ke 1708.",
               "SP4N-LAPOR! You can also report by SMS to 1708."),
    "form_title": ("Sampaikan laporan Anda", "Submit your report"),
    "form_intro": ("Laporan Anda diverifikasi oleh admin nasional LAPOR! lalu diteruskan ke "
                   "instansi yang berwenang. Anda tidak perlu tahu instansi mana yang menangani.",
                   "Your report is verified by the LAPOR! national admin, then passed to the "
                   "agency responsible. You do not need to know which agency that is."),
    "errors_title": ("Ada isian yang perlu diperbaiki:", "Some fields need fixing:"),
    "files_again": ("Berkas lampiran tidak disimpan; pilih ulang berkasnya sebelum mengirim.",
                    "Attached files were not kept; choose them again before sending."),
    "classification": ("Jenis laporan", "Type of report"),
    PENGADUAN: ("Pengaduan", "Complaint"),
    ASPIRASI: ("Aspirasi", "Aspiration"),
    PERMINTAAN_INFORMASI: ("Permintaan Informasi", "Information request"),
    "hint_" + PENGADUAN: ("keluhan tentang pelayanan publik", "a problem with a public service"),
    "hint_" + ASPIRASI: ("saran atau usulan", "a suggestion or proposal"),
    "hint_" + PERMINTAAN_INFORMASI: ("pertanyaan tentang informasi publik",
                                     "a question about public information"),
    "title": ("Judul (tidak wajib)", "Title (optional)"),
    "body": ("Isi laporan", "Your report"),
    "body_hint": ("Ceritakan apa yang terjadi, di mana, dan kapan. Paling sedikit 10 karakter.",
                  "Say what happened, where and when. At least 10 characters."),
    "location": ("Lokasi kejadian (tidak wajib)", "Where it happened (optional)"),
    "location_hint": ("Alamat, desa/kelurahan, kecamatan, kota/kabupaten.",
                      "Address, village, district, city or regency."),
    "attachments": ("Lampiran (tidak wajib)", "Attachments (optional)"),
    "attachments_hint": ("Foto (JPEG, PNG, GIF, WebP) atau PDF: paling banyak {count} berkas, "
                         "masing-masing paling besar {size}.",
                         "Photos (JPEG, PNG, GIF, WebP) or PDF: at most {count} files, "
                         "each at most {size}."),
    "privacy": ("Kerahasiaan", "Privacy"),
    "anonymous": ("Anonim", "Anonymous"),
    "anonymous_hint": ("Identitas Anda tidak dikirim sama sekali: nama dan kontak di bawah "
                       "diabaikan. Simpan nomor lacak untuk mengecek status.",
                       "Your identity is not sent at all: the name and contact below are "
                       "ignored. Keep the tracking number to check the status."),
    "confidential": ("Rahasia", "Confidential"),
    "confidential_hint": ("Nama dan kontak Anda hanya dapat dibuka oleh admin LAPOR! pusat, "
                          "tidak oleh instansi atau pihak yang Anda laporkan.",
                          "Only the central LAPOR! admin can see your name and contact; the "
                          "agency and the party you report cannot."),
    "identity": ("Identitas Anda (tidak wajib)", "About you (optional)"),
    "identity_hint": ("Jika Anda memilih Anonim, nama dan kontak tidak dikirim.",
                      "If you choose Anonymous, your name and contact are not sent."),
    "name": ("Nama", "Name"),
    "contact": ("Nomor HP atau email", "Mobile number or email"),
    "contact_hint": ("Untuk kabar tindak lanjut, mis. 0812 3456 7890.",
                     "For news about the follow-up, e.g. 0812 3456 7890."),
    "submit": ("Kirim laporan", "Send report"),
    "have_number": ("Sudah melapor? Cek status laporan", "Already reported? Check the status"),
    "done_title": ("Laporan Anda diterima", "Your report was received"),
    "done_duplicate": ("Laporan ini sudah kami terima sebelumnya", "We already received this report"),
    "tracking": ("Nomor lacak", "Tracking number"),
    "keep_number": ("Simpan nomor ini: Anda memerlukannya untuk mengecek status.",
                    "Keep this number: you need it to check the status."),
    "due": ("Batas tindak lanjut", "Follow-up due"),
    "due_note": ("dihitung dalam hari kerja; dapat diperpanjang bila perlu pemeriksaan lapangan",
                 "counted in working days; may be extended when a field check is needed"),
    "next_title": ("Apa yang terjadi selanjutnya", "What happens next"),
    "next_verify": ("Admin nasional LAPOR! memverifikasi laporan Anda.",
                    "The LAPOR! national admin verifies your report."),
    "next_route": ("Laporan diteruskan ke instansi yang berwenang menanganinya.",
                   "The report is passed to the agency responsible for it."),
    "next_follow": ("Instansi menindaklanjuti sebelum batas waktu di atas.",
                    "The agency follows it up before the date above."),
    "next_check": ("Cek status kapan saja di halaman Cek Status, atau kirim SMS CEK {number} ke 1708.",
                   "Check the status any time on the Status page, or send the SMS CEK {number} to 1708."),
    "check_now": ("Cek status", "Check status"),
    "another": ("Kirim laporan lain", "Send another report"),
    "status_title": ("Cek status laporan", "Check a report's status"),
    "number_hint": ("11 angka, mis. 2741-0935-882", "11 digits, e.g. 2741-0935-882"),
    "check": ("Cek", "Check"),
    "status": ("Status", "Status"),
    "received": ("Diterima", "Received"),
    "agency": ("Instansi", "Agency"),
    "updated": ("Diperbarui", "Updated"),
    "door": ("Saluran", "Channel"),
    "mistyped": ("Nomor {number} salah ketik: angka terakhir tidak cocok. Periksa lagi setiap angkanya.",
                 "Number {number} has a typo: the last digit does not match. Check every digit."),
    "unknown": ("Nomor {number} tidak ditemukan. Periksa lagi nomor Anda.",
                "Number {number} was not found. Please check your number."),
    "by_sms": ("Lewat SMS: kirim CEK <nomor> ke 1708.", "By SMS: send CEK <number> to 1708."),
    "error_title": ("Maaf, ada masalah", "Sorry, something went wrong"),
    "error_400": ("Permintaan tidak dapat diproses. Buka lagi formulir, lalu kirim ulang.",
                  "The request could not be processed. Open the form again and resend."),
    "error_404": ("Halaman tidak ditemukan.", "Page not found."),
    "error_405": ("Cara membuka halaman ini tidak didukung.", "This page cannot be opened this way."),
    "error_413": ("Kiriman terlalu besar (lebih dari {size}). Kurangi jumlah atau ukuran lampiran, "
                  "lalu kirim lagi.",
                  "The upload is too large (over {size}). Send fewer or smaller attachments."),
    "error_415": ("Jenis kiriman tidak didukung.", "This kind of upload is not supported."),
    "error_429": ("Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.",
                  "Too many requests. Wait a moment and try again."),
    "error_500": ("Terjadi kesalahan di sistem kami. Laporan Anda belum terkirim; coba lagi.",
                  "Something failed on our side. Your report was not sent; please try again."),
    "error_503": ("Layanan sedang sibuk atau dalam perbaikan. Laporan Anda belum terkirim; "
                  "coba lagi beberapa menit lagi.",
                  "The service is busy or under maintenance. Your report was not sent; "
                  "try again in a few minutes."),
    "error_503_status": ("Status belum dapat dicek karena layanan sedang sibuk. Coba lagi beberapa "
                         "menit lagi, atau kirim SMS CEK <nomor> ke 1708.",
                         "The status cannot be checked now: the service is busy. Try again in a "
                         "few minutes, or send the SMS CEK <number> to 1708."),
    "csrf": ("Formulir sudah kedaluwarsa atau tidak sah. Buka lagi halaman formulir, lalu kirim ulang.",
             "The form has expired or is not valid. Open the form page again and resend."),
    "reused": ("Formulir ini sudah pernah dikirim dengan isi yang lain. Laporan pertama sudah "
               "kami terima; untuk laporan baru, buka lagi halaman formulir.",
               "This form was already sent with other contents. We have your first report; "
               "for a new report, open the form page again."),
    "back_to_form": ("Kembali ke formulir", "Back to the form"),
}


def translator(lang: str):
    """t(key, **values) in ``lang`` (Indonesian unless ``en``); unknown keys show as is."""
    index = 1 if lang == "en" else 0

    def t(key: str, **values) -> str:
        pair = TEXTS.get(key)
        if pair is None:
            return key
        return pair[index].format(**values) if values else pair[index]

    return t


def known(key: str) -> bool:
    """Whether there is a text for ``key`` (templates pick a status page's words)."""
    return key in TEXTS


def date_text(iso: str) -> str:
    """'2026-12-14' -> '14-12-2026'."""
    if not iso:
        return "-"
    year, month, day = iso[:10].split("-")
    return f"{day}-{month}-{year}"


def time_text(iso: str) -> str:
    """An ISO timestamp -> '14-12-2026 10:32 WIB' (Jakarta time)."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
