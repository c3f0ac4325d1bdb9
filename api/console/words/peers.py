"""Words of reuse between provinces on the dossier page: what other provinces' vaults offer,
and papers taken from them."""

MESSAGES: dict[str, tuple[str, str]] = {
    "peers.heading": ("Kho dữ liệu của tỉnh khác", "Other provinces' vaults"),
    "peers.help": (
        "Giấy tờ công dân đã có ở tỉnh khác: lấy về và đính kèm, không yêu cầu nộp lại.",
        "Papers the citizen already has in another province: take them in and attach them "
        "instead of asking again.",
    ),
    "peers.status_answered": ("{source}: đã trả lời", "{source} answered"),
    "peers.status_no_answer": ("{source} không trả lời kịp", "{source} did not answer"),
    "peers.status_refused": ("{source} từ chối yêu cầu", "{source} refused the request"),
    "peers.status_failed": (
        "{source} trả lời không đúng định dạng",
        "{source} answered in a way this vault does not understand",
    ),
    "peers.from": ("Từ kho của {source}", "From {source}'s vault"),
    "peers.take": ("Lấy về và đính kèm", "Take and attach"),
    "peers.taken_from": ("Lấy từ kho của {source}", "Taken from {source}'s vault"),
    "peers.attached": ("Đã lấy về và đính kèm", "Taken and attached"),
    "peers.not_usable": ("Không dùng được", "Cannot be used"),
    "peers.type_refused": (
        "{source} không cung cấp loại giấy tờ này cho thủ tục",
        "{source} does not give this paper type for the procedure",
    ),
    "flash.taken_from_peer": (
        "Đã lấy giấy tờ từ kho của tỉnh khác (chữ ký số đã được kiểm tra) và đính kèm.",
        "The paper was taken from the other province's vault (its signatures checked) and "
        "attached.",
    ),
}
