"""Words of the retention page (lưu trữ, tạm giữ, hủy tài liệu hết giá trị)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.retention": ("Lưu trữ", "Retention"),
    "role.records_officer": ("Cán bộ lưu trữ", "Records officer"),
    "retention.title": ("Lưu trữ và hủy tài liệu", "Retention and disposal"),
    "retention.help": (
        "Mỗi loại giấy tờ được lưu trong thời hạn theo quy định. Không ai xóa được giấy tờ "
        "còn thời hạn hoặc đang bị tạm giữ; chỉ danh mục hủy đã được cán bộ lưu trữ khác "
        "duyệt mới hủy được, kèm biên bản có con dấu số.",
        "Each paper type is kept for the period its rule sets. Nobody can delete a paper "
        "still in its period or under a legal hold; only a disposal list approved by another "
        "records officer disposes of papers, with a sealed disposal record.",
    ),
    "retention.disposals": ("Danh mục tài liệu hết giá trị", "Disposal lists"),
    "retention.request_list": ("Lập danh mục hết thời hạn", "Draw up a list of expired records"),
    "retention.listed_at": ("Ngày lập", "Listed on"),
    "retention.status": ("Trạng thái", "Status"),
    "retention.status.listed": ("Chờ duyệt", "Awaiting decision"),
    "retention.status.approved": ("Đã duyệt, đang hủy", "Approved, being disposed of"),
    "retention.status.disposed": ("Đã hủy", "Disposed of"),
    "retention.status.rejected": ("Không duyệt", "Rejected"),
    "retention.examined": ("Số bản ghi đã xét", "Records examined"),
    "retention.items": ("Số tài liệu trong danh mục", "Records listed"),
    "retention.decided_by": ("Người duyệt", "Decided by"),
    "retention.action": ("Thao tác", "Action"),
    "retention.note": ("Ý kiến", "Note"),
    "retention.approve": ("Duyệt hủy", "Approve"),
    "retention.reject": ("Không duyệt", "Reject"),
    "retention.record": ("Tải biên bản hủy (PDF)", "Download the disposal record (PDF)"),
    "retention.no_disposals": ("Chưa có danh mục nào.", "No disposal list yet."),
    "retention.holds": ("Lệnh tạm giữ đang có hiệu lực", "Active legal holds"),
    "retention.document_id": ("Mã giấy tờ", "Document id"),
    "retention.reason": ("Lý do", "Reason"),
    "retention.place_hold": ("Tạm giữ", "Place a hold"),
    "retention.lift": ("Gỡ tạm giữ", "Lift"),
    "retention.hold_on_document": ("Giấy tờ", "Document"),
    "retention.hold_on_owner": ("Chủ sở hữu", "Owner"),
    "retention.no_holds": ("Không có lệnh tạm giữ nào.", "No legal hold is active."),
    "retention.rules": ("Thời hạn bảo quản theo loại giấy tờ", "Retention period by paper type"),
    "retention.paper_type": ("Loại giấy tờ", "Paper type"),
    "retention.period": ("Thời hạn", "Period"),
    "retention.basis": ("Căn cứ", "Basis"),
    "retention.years": ("{n} năm", "{n} years"),
    "retention.permanent": ("Vĩnh viễn", "Permanent"),
    "flash.hold_placed": ("Đã tạm giữ giấy tờ.", "The legal hold is placed."),
    "flash.hold_lifted": ("Đã gỡ tạm giữ.", "The legal hold is lifted."),
    "flash.disposal_listed": (
        "Đang lập danh mục; tải lại trang sau ít phút.",
        "The list is being drawn up; reload the page in a few minutes.",
    ),
    "flash.disposal_approved": (
        "Đã duyệt; việc hủy chạy trong nền.",
        "Approved; the disposal runs in the background.",
    ),
    "flash.disposal_rejected": ("Đã không duyệt danh mục.", "The list is rejected."),
}
