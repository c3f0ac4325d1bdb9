"""The console's words: key -> (Vietnamese, English). Vietnamese is the default.

A missing key is a programming error (the tests render every page in both languages); a
template may name a fallback key (`_fallback`) or raw text (`_raw`) for values that come from
open sets, such as audit action names."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from api.console import words

LANGUAGES = ("vi", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # -- frame ----------------------------------------------------------------------------
    "app.name": ("Kho dữ liệu điện tử của tổ chức, cá nhân", "Citizen document vault"),
    "app.short": ("Bàn làm việc cán bộ", "Officer console"),
    "app.footer": (
        "Mọi lượt truy cập giấy tờ đều được ghi nhật ký và chủ sở hữu có thể xem.",
        "Every access to a paper is logged, and the owner can see it.",
    ),
    "a11y.skip": ("Chuyển đến nội dung chính", "Skip to main content"),
    "lang.switch": ("English", "Tiếng Việt"),
    "nav.label": ("Chức năng", "Main menu"),
    "nav.owners": ("Tra cứu chủ sở hữu", "Find an owner"),
    "nav.certify": ("Chứng thực bản sao", "Certify a copy"),
    "nav.verify": ("Kiểm tra chữ ký số", "Verify a file"),
    "nav.search": ("Tìm kiếm", "Search"),
    "nav.indicators": ("Chỉ số 766", "766 indicators"),
    "nav.access_log": ("Nhật ký truy cập", "Access log"),
    "nav.logout": ("Đăng xuất", "Sign out"),
    "role.receiving_officer": ("Cán bộ tiếp nhận", "Receiving officer"),
    "role.certifying_officer": ("Cán bộ chứng thực", "Certifying officer"),
    "role.issuing_officer": ("Cán bộ trả kết quả", "Issuing officer"),
    "role.verifier": ("Cán bộ kiểm tra", "Verifier"),
    "role.auditor": ("Kiểm soát viên", "Auditor"),
    "role.administrator": ("Quản trị viên", "Administrator"),
    "role.owner": ("Chủ sở hữu kho dữ liệu", "Warehouse owner"),
    "list.more": ("Xem tiếp", "More"),
    "flash.signed_out": ("Bạn đã đăng xuất.", "You have signed out."),
    "flash.dossier_created": ("Đã ghi nhận hồ sơ.", "The dossier is recorded."),
    "flash.dossier_exists": (
        "Hồ sơ với mã này đã được ghi nhận trước đó: đây là hồ sơ đó.",
        "A dossier with this code was recorded before: this is it.",
    ),
    "flash.attached": (
        "Đã đính kèm giấy tờ vào hồ sơ (tái sử dụng dữ liệu).",
        "The paper is attached to the dossier (reused).",
    ),
    "flash.certify_replayed": (
        "Biểu mẫu này đã được gửi trước đó: đây là bản sao đã cấp lần đó, không cấp số mới.",
        "This form was sent before: this is the copy issued then; no new number was taken.",
    ),
    "flash.uploaded": (
        "Đã lưu bản số hóa vào kho, đính kèm hồ sơ và đưa vào hàng đợi nhận dạng (OCR).",
        "The scan is stored in the warehouse, attached, and queued for OCR.",
    ),
    # -- errors ---------------------------------------------------------------------------
    "error.title": ("Không thực hiện được", "That did not work"),
    "error.generic": ("Yêu cầu không thực hiện được.", "The request could not be done."),
    "error.detail": ("Chi tiết", "Details"),
    "error.back": ("Về trang đầu", "Back to the start page"),
    "error.csrf_title": ("Biểu mẫu đã hết hiệu lực", "This form has expired"),
    "error.csrf": (
        "Biểu mẫu này không còn hợp lệ (hoặc không được gửi từ trang của hệ thống). "
        "Không có thay đổi nào được thực hiện. Hãy tải lại trang và thử lại.",
        "This form is no longer valid (or did not come from this site). Nothing was "
        "changed. Reload the page and try again.",
    ),
    "error.denied_title": ("Không có quyền truy cập", "Access denied"),
    "error.denied": (
        "Bạn không được xem hoặc làm việc này: cơ quan của bạn không có hồ sơ đang giải "
        "quyết, sự đồng ý của chủ sở hữu, hoặc không phải cơ quan cấp giấy tờ này, hoặc vai "
        "trò của bạn không cho phép. Lần truy cập này đã được ghi nhật ký.",
        "You may not see or do this: your agency has no open dossier for it, no consent "
        "of the owner, did not issue the paper, or your role does not allow it. This attempt "
        "has been logged.",
    ),
    "error.not_found_title": ("Không tìm thấy", "Not found"),
    "error.not_found": ("Không có trang hoặc dữ liệu này.", "There is no such page or record."),
    "error.invalid_fields": (
        "Dữ liệu nhập chưa đúng: {fields}.",
        "Some fields are not valid: {fields}.",
    ),
    "error.unexpected": ("Lỗi không mong đợi", "Unexpected error"),
    "error.status.404": ("Không tìm thấy dữ liệu yêu cầu.", "The record asked for does not exist."),
    "error.status.409": (
        "Yêu cầu mâu thuẫn với dữ liệu hiện có.",
        "The request conflicts with what is recorded.",
    ),
    "error.status.413": ("Tệp quá lớn.", "The file is too large."),
    "error.status.415": (
        "Tệp không phải PDF, JPEG, PNG hoặc TIFF.",
        "The file is not a PDF, JPEG, PNG or TIFF.",
    ),
    "error.status.422": ("Dữ liệu nhập chưa đúng.", "Some of what was entered is not valid."),
    "error.status.429": (
        "Quá nhiều yêu cầu, vui lòng thử lại sau ít phút.",
        "Too many requests: try again in a minute.",
    ),
    "error.status.503": (
        "Hệ thống tạm thời không sẵn sàng, vui lòng thử lại sau.",
        "The system is unavailable for a moment: try again later.",
    ),
    # -- the domain's refusals in words (web.error_words) ---------------------------------
    "problem.generic": ("Yêu cầu không thực hiện được.", "The request could not be done."),
    "problem.media_type": (
        "Tệp không phải PDF, JPEG, PNG hoặc TIFF. Hãy quét hoặc lưu lại theo một trong các "
        "định dạng này rồi tải lên lại.",
        "The file is not a PDF, JPEG, PNG or TIFF. Scan or save it in one of these formats "
        "and upload it again.",
    ),
    "problem.unreadable": (
        "Không đọc được tệp: tệp bị hỏng, không đầy đủ hoặc rỗng. Hãy quét lại rồi tải lên.",
        "The file cannot be read: it is damaged, incomplete or empty. Scan it again.",
    ),
    "problem.too_large": (
        "Tệp quá lớn (dung lượng, số trang hoặc kích thước ảnh vượt mức cho phép).",
        "The file is too large (its size, page count or image size is over the limit).",
    ),
    "problem.not_found": ("Không tìm thấy dữ liệu yêu cầu.", "The record does not exist."),
    "problem.rate_limited": (
        "Quá nhiều yêu cầu, vui lòng thử lại sau ít phút.",
        "Too many requests: try again in a minute.",
    ),
    "problem.unavailable": (
        "Hệ thống tạm thời không kiểm tra được, vui lòng thử lại sau.",
        "This cannot be checked right now: try again later.",
    ),
    "problem.denied": ("Bạn không có quyền thực hiện việc này.", "You may not do this."),
    "problem.dossier_closed": (
        "Hồ sơ đã kết thúc: không đính kèm hoặc tải thêm giấy tờ được nữa.",
        "The dossier is closed: nothing more can be attached or uploaded.",
    ),
    "problem.code_taken": (
        "Mã hồ sơ này đã được dùng cho một hồ sơ khác.",
        "This dossier code is already used for another dossier.",
    ),
    "problem.not_usable": (
        "Giấy tờ này không dùng được cho hồ sơ (hết hiệu lực, đã bị thay thế hoặc chữ ký "
        "không hợp lệ).",
        "This paper cannot be used for the dossier (expired, replaced or its signature failed).",
    ),
    "problem.superseded": (
        "Đây là phiên bản cũ: hãy đính kèm phiên bản hiện hành.",
        "This version is superseded: attach the current one.",
    ),
    "problem.conflict": (
        "Yêu cầu mâu thuẫn với dữ liệu hiện có.",
        "The request conflicts with what is recorded.",
    ),
    "problem.issue_date_future": (
        "Ngày cấp không được sau ngày hôm nay.",
        "The issue date cannot be in the future.",
    ),
    "problem.dossier_code": (
        "Mã hồ sơ chưa đúng: mã có dạng <mã cơ quan>-<yymmdd>-<số thứ tự>, của cơ quan bạn "
        "và ngày hôm nay; để trống để hệ thống tự cấp.",
        "The dossier code is not valid: <agency code>-<yymmdd>-<sequence>, of your agency "
        "and today; leave it blank to have one made.",
    ),
    "problem.field": (
        "{field}: giá trị chưa đúng hoặc còn thiếu.",
        "{field}: missing or not valid.",
    ),
    "field.issue_date": ("Ngày cấp", "Issue date"),
    "field.valid_until": ("Có giá trị đến", "Valid until"),
    "field.reference": ("Số, ký hiệu", "Reference number"),
    "field.procedure": ("Thủ tục hành chính", "Procedure"),
    "field.dossier_code": ("Mã hồ sơ", "Dossier code"),
    "field.paper_type": ("Loại giấy tờ", "Paper type"),
    "field.file": ("Tệp", "File"),
    "field.document": ("Giấy tờ", "Paper"),
    "field.dossier": ("Hồ sơ", "Dossier"),
    "field.owner": ("Chủ sở hữu", "Owner"),
    "field.title": ("Tên giấy tờ", "Title"),
    "field.month": ("Tháng", "Month"),
    "field.identifier": ("Số định danh", "Identifier"),
    "field.other": ("Một trường", "A field"),
    # -- session --------------------------------------------------------------------------
    "session.expired": (
        "Phiên đăng nhập đã hết hạn do không thao tác. Vui lòng đăng nhập lại để tiếp tục "
        "từ trang đang làm.",
        "Your session has expired after a while without activity. Sign in again to go "
        "back to the page you were on.",
    ),
    "session.warning": (
        "Phiên đăng nhập sắp hết hạn do không thao tác. Thời gian còn lại:",
        "Your session is about to end for inactivity. Time left:",
    ),
    "session.extend": ("Tiếp tục làm việc", "Keep working"),
    # -- owners' dossiers, closing, downloads ---------------------------------------------
    "owner.dossiers": ("Hồ sơ của chủ sở hữu tại cơ quan", "This owner's dossiers here"),
    "owner.dossiers_caption": (
        "Hồ sơ cơ quan bạn đã tiếp nhận cho chủ sở hữu này",
        "Dossiers your agency received for this owner",
    ),
    "owner.no_dossiers": (
        "Cơ quan bạn chưa tiếp nhận hồ sơ nào của chủ sở hữu này.",
        "Your agency has received no dossier for this owner.",
    ),
    "dossier.choose_procedure": ("— Chọn thủ tục —", "— Choose the procedure —"),
    "dossier.closed_notice": (
        "Hồ sơ đã kết thúc: không đính kèm hoặc tải thêm giấy tờ; cơ quan không còn được "
        "xem giấy tờ của chủ sở hữu theo hồ sơ này.",
        "This dossier is closed: nothing can be attached or uploaded, and its papers are no "
        "longer open to the agency through it.",
    ),
    "dossier.close": ("Kết thúc hồ sơ", "Close the dossier"),
    "dossier.close_help": (
        "Khi đã trả kết quả hoặc dừng giải quyết: cơ quan sẽ không còn xem giấy tờ theo hồ sơ này.",
        "When the result is returned or the case is dropped: the papers are then no longer "
        "open through this dossier.",
    ),
    "dossier.attached_mark": ("Đã đính kèm", "Attached"),
    "flash.closed": ("Đã kết thúc hồ sơ.", "The dossier is closed."),
    "doc.download_pdf": ("Tải bản PDF", "Download the PDF"),
    "doc.download_file": ("Tải tệp gốc ({ext})", "Download the file ({ext})"),
    "doc.download_searchable": (
        "Tải bản PDF có thể tìm kiếm (OCR)",
        "Download the searchable PDF (OCR)",
    ),
    "doc.issuer_unknown": ("không rõ", "unknown"),
    "reason.other": ("không đáp ứng điều kiện tái sử dụng", "{text}"),
    # -- access log in words --------------------------------------------------------------
    "purpose.dossier": (
        "Giải quyết hồ sơ {code}, thủ tục {procedure}",
        "Dossier {code}, procedure {procedure}",
    ),
    "purpose.owner": ("Bạn tự xem kho của mình", "You, in your own warehouse"),
    "purpose.issued_by": ("Giấy tờ do {agency} cấp", "A paper {agency} issued"),
    "purpose.consent": ("Theo sự đồng ý của bạn: {text}", "Under your consent: {text}"),
    "purpose.public_verification": (
        "Kiểm tra công khai bản sao chứng thực bằng mã in trên bản sao",
        "Public verification with the code printed on the copy",
    ),
    "purpose.other": ("Mục đích khác", "{text}"),
    "access.from": ("Từ ngày", "From"),
    "access.to": ("Đến ngày", "To"),
    "access.all_agencies": ("Tất cả cơ quan", "All agencies"),
    "access.filter": ("Lọc", "Filter"),
    "access.paper": ("Giấy tờ", "Paper"),
    "access.system": ("Hệ thống", "The system"),
    "access.times": ("{n} lần", "{n} times"),
    "access.procedure": ("thủ tục", "procedure"),
    "action.other": ("Thao tác khác", "Other action"),
    "action.consent.give": ("Cho phép cơ quan xem giấy tờ", "Gave consent"),
    "action.consent.revoke": ("Thu hồi sự cho phép", "Revoked consent"),
    "action.document.reissue": ("Cấp phiên bản mới của giấy tờ", "Reissued a paper"),
    "action.document.replay": ("Gửi lại yêu cầu lưu giấy tờ", "Repeated a request"),
    "action.document.searchable_copy": (
        "Tải bản PDF có thể tìm kiếm",
        "Downloaded the searchable copy",
    ),
    "action.dossier.close": ("Kết thúc hồ sơ", "Closed a dossier"),
    "action.dossier.result": ("Trả kết quả vào hồ sơ", "Added a result"),
    "action.certified_copy.public_verify": (
        "Tra cứu công khai bản sao chứng thực",
        "Public verification of a certified copy",
    ),
    # -- indicators: definitions and the dossiers counted ---------------------------------
    "ind.details": ("Cách tính và hồ sơ được tính", "How each is counted, and which dossiers"),
    "ind.def.4.1": (
        "Tử số: hồ sơ có kết quả được trả kèm bản điện tử có chữ ký số. Mẫu số: hồ sơ của "
        "các thủ tục có trả kết quả, tiếp nhận trong tháng.",
        "Numerator: dossiers whose result was returned as a digitally signed electronic "
        "paper. Denominator: dossiers of procedures that return a result, received this month.",
    ),
    "ind.def.4.2": (
        "Tử số: hồ sơ vừa có thành phần được số hóa khi tiếp nhận, vừa có kết quả điện tử "
        "có chữ ký số. Mẫu số: mọi hồ sơ tiếp nhận trong tháng. Chỉ số hóa thành phần mà "
        "chưa có kết quả ký số thì chưa được tính.",
        "Numerator: dossiers with a component digitised at reception and a digitally signed "
        "electronic result. Denominator: every dossier received this month. A digitised scan "
        "without a signed result does not count yet.",
    ),
    "ind.def.4.3": (
        "Tử số: hồ sơ có ít nhất một thành phần được tái sử dụng từ kho dữ liệu (không yêu "
        "cầu nộp lại). Mẫu số: mọi hồ sơ tiếp nhận trong tháng.",
        "Numerator: dossiers with at least one component reused from the warehouse. "
        "Denominator: every dossier received this month.",
    ),
    "ind.def.4.4": (
        "Tử số: hồ sơ có thành phần lấy từ kho dữ liệu hoặc có kết quả được lưu vào kho. "
        "Mẫu số: mọi hồ sơ tiếp nhận trong tháng.",
        "Numerator: dossiers with a component taken from the warehouse or a result stored "
        "in it. Denominator: every dossier received this month.",
    ),
    "ind.counted_numerator": ("Hồ sơ được tính vào tử số", "Dossiers in the numerator"),
    "ind.counted_denominator": ("Hồ sơ được tính vào mẫu số", "Dossiers in the denominator"),
    "ind.none_counted": ("Không có hồ sơ nào.", "None."),
    "ind.lacks": ("chưa đạt vì thiếu", "not met, lacks"),
    "ind.met": ("đạt", "met"),
    "ind.cond.signed_result": ("kết quả điện tử có chữ ký số", "a digitally signed result"),
    "ind.cond.digitised_component": (
        "thành phần được số hóa khi tiếp nhận",
        "a component digitised at reception",
    ),
    "ind.cond.reused_component": ("thành phần tái sử dụng", "a reused component"),
    "ind.cond.warehouse_or_result": (
        "thành phần lấy từ kho hoặc kết quả lưu vào kho",
        "a component from the warehouse or a result stored in it",
    ),
    # -- sign in --------------------------------------------------------------------------
    "login.title": ("Đăng nhập", "Sign in"),
    "login.or": ("hoặc", "or"),
    "login.oidc": ("Đăng nhập bằng tài khoản định danh điện tử (VNeID)", "Sign in with VNeID"),
    "login.oidc_failed": (
        "Không đăng nhập được qua tài khoản định danh điện tử. Vui lòng thử lại.",
        "Signing in with VNeID did not succeed. Please try again.",
    ),
    "oidc.signed_in": ("Đã đăng nhập", "Signed in"),
    "oidc.continue": ("Tiếp tục", "Continue"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Sign in"),
    "login.wrong": (
        "Sai tên đăng nhập hoặc mật khẩu.",
        "Wrong username or password.",
    ),
    "home.title": ("Bàn làm việc", "Start"),
    "home.owners": (
        "Tìm công dân, tổ chức theo số định danh hoặc mã số thuế để tiếp nhận hồ sơ.",
        "Find a citizen or organisation by identification number or tax code.",
    ),
    "home.certify": (
        "Chứng thực bản sao điện tử từ bản chính và ký số.",
        "Make and sign an electronic certified copy from an original.",
    ),
    "home.verify": ("Kiểm tra chữ ký số của một tệp PDF.", "Check the signatures of a PDF."),
    "home.search": (
        "Tìm trong các giấy tờ bạn được phép xem.",
        "Search the papers you may see.",
    ),
    "home.indicators": (
        "Chỉ số số hóa theo Quyết định 766/QĐ-TTg của cơ quan.",
        "Your agency's digitisation indicators (Decision 766/QĐ-TTg).",
    ),
    # -- owners ---------------------------------------------------------------------------
    "lookup.title": ("Tra cứu chủ sở hữu kho dữ liệu", "Find a warehouse owner"),
    "lookup.help": (
        "Nhập chính xác số định danh cá nhân (CCCD, 12 chữ số) hoặc mã số thuế của tổ chức. "
        "Hệ thống không cho phép duyệt danh sách.",
        "Enter the exact personal identification number (12 digits) or the organisation's "
        "tax code. There is no browsing.",
    ),
    "lookup.identifier": (
        "Số định danh cá nhân hoặc mã số thuế",
        "Identification number or tax code",
    ),
    "lookup.hint": (
        "Ví dụ: 079203001234 hoặc 0312345678",
        "For example 079203001234 or 0312345678",
    ),
    "lookup.submit": ("Tra cứu", "Look up"),
    "lookup.malformed": (
        "Số định danh hoặc mã số thuế không đúng định dạng.",
        "This is not a valid identification number or tax code.",
    ),
    "lookup.unknown": (
        "Không có chủ sở hữu nào với số này.",
        "No owner has this number.",
    ),
    "owner.cccd": ("Số định danh", "ID no."),
    "owner.tax_code": ("Mã số thuế", "Tax code"),
    "owner.receive": ("Tiếp nhận hồ sơ", "Receive a dossier"),
    "warehouse.title": ("Kho dữ liệu (phần bạn được xem)", "Warehouse (what you may see)"),
    "warehouse.caption": ("Giấy tờ trong kho dữ liệu", "Papers in the warehouse"),
    "warehouse.none_open": (
        "Bạn chưa được xem giấy tờ nào của chủ sở hữu này: cơ quan của bạn không có hồ sơ "
        "đang giải quyết, không có sự đồng ý của chủ sở hữu và không cấp giấy tờ nào cho họ. "
        "Hãy tiếp nhận hồ sơ để xem các giấy tờ mà thủ tục yêu cầu.",
        "None of this owner's papers is open to you: your agency has no open dossier for "
        "them, no consent from them, and issued them nothing. Receive a dossier to see the "
        "papers its procedure needs.",
    ),
    "warehouse.no_papers": (
        "Chưa có giấy tờ nào trong phần kho bạn được xem.",
        "There are no papers in the part of the warehouse open to you.",
    ),
    # -- papers ---------------------------------------------------------------------------
    "doc.thumbnail": ("Ảnh trang đầu", "First page"),
    "doc.thumbnail_of": ("Trang đầu của {name}", "First page of {name}"),
    "doc.paper_type": ("Loại giấy tờ", "Paper type"),
    "doc.reference": ("Số ký hiệu", "Reference number"),
    "doc.issuer": ("Cơ quan cấp", "Issuer"),
    "doc.issuer_stated": ("theo kê khai, chưa xác minh", "as stated, unverified"),
    "doc.issue_date": ("Ngày cấp", "Issue date"),
    "doc.valid_until": ("Hiệu lực đến", "Valid until"),
    "doc.indefinite": ("Không thời hạn", "No expiry"),
    "doc.origin": ("Nguồn gốc", "Origin"),
    "doc.status": ("Trạng thái", "Status"),
    "doc.owner": ("Chủ sở hữu", "Owner"),
    "doc.title": ("Tên giấy tờ", "Title"),
    "doc.version": ("Phiên bản", "Version"),
    "doc.superseded": ("đã bị thay thế", "superseded"),
    "doc.pages": ("Các trang", "Pages"),
    "doc.page_n": ("Trang {n}", "Page {n}"),
    "doc.no_pages": ("Không hiển thị được trang nào.", "No page can be shown."),
    "origin.digitised": ("Số hóa tại Bộ phận Một cửa", "Digitised at the one-stop shop"),
    "origin.certified_copy": ("Bản sao điện tử chứng thực", "Electronic certified copy"),
    "origin.issued_result": ("Kết quả giải quyết TTHC", "Issued result"),
    "origin.uploaded_by_owner": ("Chủ sở hữu tự tải lên", "Uploaded by the owner"),
    "sigbadge.valid": ("Chữ ký hợp lệ", "Signature valid"),
    "sigbadge.changed": (
        "Chữ ký hợp lệ, nhưng tệp bị sửa sau khi ký",
        "Signature valid, file changed after signing",
    ),
    "sigbadge.invalid": ("Chữ ký không hợp lệ", "Signature invalid"),
    "sigbadge.unsigned": ("Không có chữ ký số", "Not signed"),
    "sigbadge.unknown": ("Chữ ký chưa kiểm tra", "Signature not checked yet"),
    "ocr.title": ("Nội dung nhận dạng (OCR)", "Recognised text (OCR)"),
    "ocr.none": ("Chưa nhận dạng", "No OCR"),
    "ocr.pending": ("Đang chờ nhận dạng", "OCR pending"),
    "ocr.running": ("Đang nhận dạng", "OCR running"),
    "ocr.done": ("Đã nhận dạng", "OCR done"),
    "ocr.failed": ("Nhận dạng lỗi", "OCR failed"),
    "ocr.status_line": ("Trạng thái: {status}", "Status: {status}"),
    "ocr.confidence": ("độ tin cậy {value}%", "confidence {value}%"),
    # -- signatures -----------------------------------------------------------------------
    "sig.title": ("Chữ ký số", "Digital signatures"),
    "sig.none": ("Giấy tờ này không có chữ ký số.", "This paper carries no digital signature."),
    "sig.signer": ("Người ký", "Signed by"),
    "sig.unknown_signer": ("Không xác định", "Unknown"),
    "sig.time": ("Thời điểm ký", "Signed at"),
    "sig.level": ("Mức chữ ký", "Level"),
    "sig.certification": ("chữ ký chứng nhận tài liệu", "certification signature"),
    # -- dossiers -------------------------------------------------------------------------
    "dossier.new_title": ("Tiếp nhận hồ sơ", "Receive a dossier"),
    "dossier.for_owner": ("Chủ hồ sơ", "For"),
    "dossier.refused": ("Không ghi nhận được hồ sơ", "The dossier was not recorded"),
    "dossier.code": ("Mã hồ sơ", "Dossier code"),
    "dossier.code_hint": (
        "Để trống để hệ thống cấp mã theo ngày hôm nay, ví dụ 000.00.15.H57-250115-0001.",
        "Leave blank to get today's next code, e.g. 000.00.15.H57-250115-0001.",
    ),
    "dossier.procedure": ("Thủ tục hành chính", "Procedure"),
    "dossier.submit": ("Ghi nhận hồ sơ", "Record the dossier"),
    "dossier.owner": ("Chủ hồ sơ", "Owner"),
    "dossier.received_on": ("Ngày tiếp nhận", "Received on"),
    "dossier.status": ("Trạng thái", "Status"),
    "dossier.status_open": ("Đang giải quyết", "Open"),
    "dossier.status_closed": ("Đã kết thúc", "Closed"),
    "dossier.needed": ("Thành phần hồ sơ cần có", "Papers the procedure needs"),
    "dossier.attach": ("Đính kèm (tái sử dụng)", "Attach (reuse)"),
    "dossier.not_usable": ("Không dùng được", "Cannot be used"),
    "dossier.attached_not_usable": (
        "Đã đính kèm nhưng không còn dùng được",
        "Attached, but it can no longer be used",
    ),
    "dossier.missing_help": (
        "Chưa có bản hợp lệ trong kho: quét giấy tờ công dân mang đến, hệ thống lưu vào kho "
        "để lần sau không phải yêu cầu lại.",
        "Nothing valid on file: scan what the person brought; it is kept for next time.",
    ),
    "dossier.scan": ("Tệp quét (PDF, JPEG, PNG, TIFF)", "Scan (PDF, JPEG, PNG, TIFF)"),
    "dossier.upload": ("Tải lên và đính kèm", "Upload and attach"),
    "state.attached": ("Đã đính kèm", "Attached"),
    "state.on-file": ("Có sẵn trong kho", "On file"),
    "state.missing": ("Còn thiếu", "Missing"),
    "reason.superseded": ("đã có phiên bản mới thay thế", "a newer version replaces it"),
    "reason.expired": ("đã hết hiệu lực từ ngày {day}", "expired on {day}"),
    "reason.not_yet_issued": (
        "chưa được cấp vào ngày tiếp nhận hồ sơ",
        "not yet issued on the day the dossier was received",
    ),
    "reason.signature_invalid": ("chữ ký số không hợp lệ", "the signature is invalid"),
    "reason.signature_not_verifiable": (
        "không xác minh được chữ ký số",
        "the signature could not be verified",
    ),
    "reason.signature_changed_after_signing": (
        "chữ ký số chỉ hợp lệ kèm thay đổi sau khi ký (chú thích, điền biểu mẫu)",
        "the signature holds only with changes made after signing (annotations, form filling)",
    ),
    "reason.signature_unchecked": (
        "chữ ký số chưa được kiểm tra",
        "the signature is not checked yet",
    ),
    # -- verify ---------------------------------------------------------------------------
    "verify.title": ("Kiểm tra chữ ký số của tệp", "Verify a file"),
    "verify.drop": ("Kéo thả tệp PDF vào đây", "Drag a PDF here"),
    "verify.choose": ("hoặc chọn tệp", "or choose a file"),
    "verify.submit": ("Kiểm tra", "Verify"),
    "verify.report": ("Kết quả kiểm tra", "Verification report"),
    "verify.pages": ("{n} trang", "{n} pages"),
    "verify.no_file": ("Hãy chọn một tệp PDF.", "Choose a PDF file."),
    "verify.too_large": ("Tệp quá lớn để kiểm tra.", "The file is too large to verify."),
    "verify.not_pdf": ("Tệp không phải là PDF.", "The file is not a PDF."),
    "verify.busy": (
        "Dịch vụ kiểm tra đang bận, vui lòng thử lại sau ít phút.",
        "The verifier is busy: try again in a minute.",
    ),
    # -- certify --------------------------------------------------------------------------
    "certify.title": ("Chứng thực bản sao điện tử từ bản chính", "Certify an electronic copy"),
    "certify.owner": (
        "Số định danh hoặc mã số thuế của người yêu cầu",
        "Identification number or tax code of the requester",
    ),
    "certify.paper_type": ("Loại giấy tờ", "Paper type"),
    "certify.copy_title": ("Tên giấy tờ", "Title"),
    "certify.title_hint": ("Để trống: dùng tên loại giấy tờ.", "Blank: the paper type's name."),
    "certify.book": ("Sổ chứng thực", "Certification book"),
    "certify.scans": ("Bản quét bản chính (theo thứ tự trang)", "Scans of the original, in order"),
    "certify.pin": ("Mã PIN chữ ký số của bạn", "Your signing PIN"),
    "certify.preview": ("Xem trước bản sao", "Preview the copy"),
    "certify.sign": ("Ký số và cấp bản sao", "Sign and issue"),
    "certify.preview_title": ("Bản sao sẽ được tạo", "The copy to be issued"),
    "certify.preview_hint": (
        "Bản xem trước chưa có số chứng thực và chưa được ký; chưa có gì được lưu.",
        "The preview has no number and no signature yet; nothing is stored.",
    ),
    "certify.not_configured": (
        "Hệ thống chưa được cấu hình dịch vụ ký số từ xa: chưa thể chứng thực.",
        "No remote signing service is configured: copies cannot be certified.",
    ),
    "certify.signing_unavailable": (
        "Dịch vụ ký số tạm thời không sẵn sàng.",
        "The signing service is unavailable for now.",
    ),
    "certify.wrong_pin": ("Mã PIN không đúng.", "Wrong PIN."),
    "certify.owner_unknown": ("Không có chủ sở hữu nào với số này.", "No owner has this number."),
    "certify.owner_malformed": (
        "Số định danh hoặc mã số thuế không đúng định dạng.",
        "This is not a valid identification number or tax code.",
    ),
    "certify.refused": ("Không chứng thực được", "The copy was not certified"),
    "certify.form_expired": (
        "Biểu mẫu đã hết hiệu lực: hãy chọn lại bản quét và gửi lại.",
        "This form has expired: choose the scans again and send it again.",
    ),
    "certify.owner_masked_hint": (
        "Đã tra cứu chủ sở hữu; số định danh chỉ hiện 4 chữ số cuối. Nhập số khác để đổi.",
        "The owner is looked up; only the last 4 digits show. Type another number to change.",
    ),
    "certified.title": ("Đã chứng thực bản sao", "Copy certified"),
    "certified.done": (
        "Bản sao đã được ký số, đóng dấu số của cơ quan và lưu vào kho của chủ sở hữu.",
        "The copy is signed, sealed by the office and stored in the owner's warehouse.",
    ),
    "certified.number": ("Số chứng thực", "Certification number"),
    "certified.date": ("Ngày chứng thực", "Certified on"),
    "certified.pages": ("Số trang", "Pages"),
    "certified.open": ("Xem bản sao đã chứng thực", "Open the certified copy"),
    "certified.public": ("Trang kiểm tra công khai (mã QR)", "Public verification page (QR code)"),
    "certified.another": ("Chứng thực bản khác", "Certify another"),
    # -- search ---------------------------------------------------------------------------
    "search.title": ("Tìm kiếm giấy tờ", "Search papers"),
    "search.label": ("Từ khóa", "Words"),
    "search.submit": ("Tìm", "Search"),
    "search.hint": (
        "Có dấu hoặc không dấu đều được; chỉ tìm trong giấy tờ bạn được phép xem.",
        "With or without diacritics; only the papers open to you are searched.",
    ),
    "search.empty": ("Không tìm thấy giấy tờ nào phù hợp.", "Nothing matched."),
    # -- access log -----------------------------------------------------------------------
    "access.title": ("Nhật ký truy cập kho dữ liệu của bạn", "Who accessed your warehouse"),
    "access.help": (
        "Ai đã xem giấy tờ của bạn, khi nào, thuộc cơ quan nào và vì hồ sơ nào.",
        "Who looked at your papers, when, for which agency and which dossier.",
    ),
    "access.when": ("Thời gian", "When"),
    "access.who": ("Người truy cập", "Who"),
    "access.agency": ("Cơ quan", "Agency"),
    "access.action": ("Thao tác", "Action"),
    "access.purpose": ("Mục đích", "Purpose"),
    "access.outcome": ("Kết quả", "Outcome"),
    "access.dossier": ("Hồ sơ", "Dossier"),
    "access.empty": ("Chưa có lượt truy cập nào.", "No access yet."),
    "outcome.ok": ("Được phép", "Allowed"),
    "outcome.denied": ("Bị từ chối", "Denied"),
    "outcome.failed": ("Không thành công", "Failed"),
    "outcome.other": ("Khác", "Other"),
    "action.document.read": ("Xem giấy tờ", "Viewed a paper"),
    "action.document.download": ("Tải nội dung giấy tờ", "Downloaded a paper"),
    "action.document.list": ("Xem danh sách giấy tờ", "Listed papers"),
    "action.document.upload": ("Lưu giấy tờ", "Stored a paper"),
    "action.document.text": ("Xem nội dung nhận dạng", "Read the recognised text"),
    "action.document.ocr": ("Xem kết quả nhận dạng", "Viewed the OCR result"),
    "action.dossier.create": ("Tiếp nhận hồ sơ", "Received a dossier"),
    "action.dossier.reuse": ("Tra cứu giấy tờ để tái sử dụng", "Checked papers for reuse"),
    "action.dossier.attach": ("Đính kèm giấy tờ vào hồ sơ", "Attached a paper"),
    "action.dossier.read": ("Xem hồ sơ", "Viewed a dossier"),
    "action.owner.lookup": ("Tra cứu theo số định danh", "Looked you up"),
    "action.owner.read": ("Xem thông tin chủ sở hữu", "Viewed your record"),
    "action.owner.register": ("Đăng ký chủ sở hữu", "Registered you"),
    "action.search.result": ("Tìm kiếm", "Search"),
    "action.certified_copy.issue": ("Cấp bản sao chứng thực", "Issued a certified copy"),
    # -- indicators -----------------------------------------------------------------------
    "ind.title": ("Chỉ số số hóa (Quyết định 766/QĐ-TTg)", "Digitisation indicators (766/QĐ-TTg)"),
    "ind.month": ("Tháng", "Month"),
    "ind.received": ("{n} hồ sơ tiếp nhận", "{n} dossiers received"),
    "ind.pick_month": ("Chọn tháng", "Month"),
    "ind.show": ("Xem", "Show"),
    "ind.caption": ("Nhóm chỉ số số hóa hồ sơ, kết quả", "Digitisation indicators"),
    "ind.code": ("Mã", "Code"),
    "ind.name": ("Chỉ số", "Indicator"),
    "ind.numerator": ("Đạt", "Met"),
    "ind.denominator": ("Tổng", "Of"),
    "ind.percent": ("Tỷ lệ", "Rate"),
    "ind.no_data": ("chưa có hồ sơ", "no dossiers"),
    "ind.chart_title": ("Tỷ lệ các chỉ số số hóa, {month}", "Digitisation rates, {month}"),
    "ind.chart_caption": ("Đường nét đứt: 100%.", "Dashed line: 100%."),
    "ind.4.1": ("Hồ sơ có kết quả điện tử", "Dossiers with an electronic result"),
    "ind.4.2": ("Hồ sơ được số hóa", "Dossiers digitised"),
    "ind.4.3": ("Tái sử dụng dữ liệu số hóa", "Reuse of digitised data"),
    "ind.4.4": (
        "Dữ liệu số hóa được kết nối để tái sử dụng",
        "Digitised data connected for reuse",
    ),
    "ind.short.4.1": ("4.1 Kết quả ĐT", "4.1 E-result"),
    "ind.short.4.2": ("4.2 Số hóa", "4.2 Digitised"),
    "ind.short.4.3": ("4.3 Tái sử dụng", "4.3 Reuse"),
    "ind.short.4.4": ("4.4 Kết nối", "4.4 Connected"),
    # -- public verification (no sign-in): /public/verify and the QR page ---------------------
    "sig.certificate": ("Chứng thư số", "Certificate"),
    "sig.trust_anchor": ("Chứng thư gốc tin cậy", "Trust anchor"),
    "sig.changes": ("Thay đổi sau khi ký", "Changes after signing"),
    "record.paper_type": ("Loại giấy tờ", "Paper type"),
    "record.title": ("Tên giấy tờ", "Title"),
    "record.number": ("Số", "Number"),
    "record.office": ("Cơ quan", "Office"),
    "record.date": ("Ngày", "Date"),
    "record.sha256": ("Mã băm tệp lưu trong kho (SHA-256)", "SHA-256 of the file on record"),
    "public.footer": (
        "Trang công khai, không cần đăng nhập. Tệp tải lên chỉ được dùng để kiểm tra và "
        "không được lưu lại.",
        "A public page: no sign-in. The file you upload is only checked, never kept.",
    ),
    "public.verify_title": ("Kiểm tra tệp có chữ ký số", "Verify a signed file"),
    "public.verify_intro": (
        "Thả tệp PDF bạn nhận được (bản sao điện tử có chứng thực, kết quả giải quyết thủ tục "
        "hành chính…) để biết ai đã ký, ký khi nào, bằng chứng thư số nào, tệp có bị thay đổi "
        "sau khi ký không, và tệp có đúng là bản được lưu trong kho hay không.",
        "Drop the PDF you received (an electronic certified copy, an administrative result…) "
        "to learn who signed it, when, with which certificate, whether it changed after "
        "signing, and whether it is the very file on record.",
    ),
    "public.not_stored": (
        "Tệp tối đa {mb} MB. Tệp không được lưu lại và không được ghi vào nhật ký.",
        "Files up to {mb} MB. The file is neither kept nor logged.",
    ),
    "public.rate_limited": (
        "Bạn đã kiểm tra quá nhiều tệp trong thời gian ngắn, vui lòng thử lại sau ít phút.",
        "Too many files checked in a short time: try again in a few minutes.",
    ),
    "public.copy_title": (
        "Bản sao điện tử được chứng thực từ bản chính",
        "Electronic copy certified from the original",
    ),
    "public.copy_not_found": (
        "Không tìm thấy bản sao điện tử có mã tra cứu này",
        "No electronic certified copy has this code",
    ),
    "public.copy_signatures_valid": (
        "Các chữ ký số trên bản sao lưu trong kho hợp lệ.",
        "The signatures of the copy on record are valid.",
    ),
    "public.copy_signatures_invalid": (
        "Chữ ký số của bản sao lưu trong kho không kiểm tra được là hợp lệ",
        "The signatures of the copy on record could not be confirmed",
    ),
    "public.copy_qr_mismatch": (
        "Mã băm trong mã QR không khớp với hồ sơ chứng thực.",
        "The hash in the QR code does not match the certification record.",
    ),
    "public.copy_what": ("Nội dung chứng thực", "Certification"),
    "public.copy_what_text": (
        "Chứng thực bản sao đúng với bản chính",
        "Copy certified true to the original",
    ),
    "public.copy_pages": ("Số trang bản sao", "Pages"),
    "public.copy_book": ("Quyển số", "Book"),
    "public.copy_officer": ("Người thực hiện chứng thực", "Certified by"),
    "public.copy_validity": ("Thời hạn sử dụng", "Valid"),
    "public.validity_until": ("đến hết ngày {day}", "until {day}"),
    "public.validity_none": ("không thời hạn", "indefinitely"),
    "public.valid_today": ("còn hiệu lực", "in force"),
    "public.expired": ("đã hết hiệu lực", "expired"),
    "public.copy_content_sha256": ("Mã băm bản chụp (SHA-256)", "SHA-256 of the scans"),
    "public.copy_file_sha256": ("Mã băm tệp bản sao (SHA-256)", "SHA-256 of the copy's file"),
    "public.copy_signature": ("Chữ ký số", "Signature"),
    "public.sig_valid": ("hợp lệ", "valid"),
    "public.sig_invalid": ("không hợp lệ", "not valid"),
    "public.unknown_time": ("không rõ", "unknown"),
    "public.copy_code": ("Mã tra cứu", "Verification code"),
    "public.copy_check_title": (
        "Kiểm tra tệp bạn đang giữ",
        "Check the file you hold",
    ),
    "public.copy_check_intro": (
        "Thả tệp bản sao bạn nhận được: hệ thống kiểm tra chữ ký số và so sánh từng byte với "
        "bản sao này trong kho, không cần so mã băm bằng mắt.",
        "Drop the copy you received: its signatures are checked and it is compared byte for "
        "byte with this copy on record; no hash to compare by eye.",
    ),
    # -- certify: scans kept between the preview and signing (helper certcopy) --
    "certify.staged_hint": (
        "Đã giữ {n} tệp bản quét của lần xem trước (đến {until}): không cần chọn lại. "
        "Chọn tệp khác để thay.",
        "{n} scan file(s) from the preview are kept (until {until}): no need to choose them "
        "again. Choose other files to replace them.",
    ),
    "certify.preview_hint_staged": (
        "Bản xem trước chưa có số chứng thực và chưa được ký; bản sao chưa được lưu. Bản quét "
        "được lưu tạm (mã hóa) cho đến khi ký hoặc hết hạn.",
        "The preview has no number and no signature yet; the copy is not stored. The scans "
        "are kept (encrypted) until you sign or they expire.",
    ),
    "action.certified_copy.scans_staged": (
        "Lưu tạm bản quét để chứng thực bản sao",
        "Kept scans for a certified copy",
    ),
    "certify.staged_expired": (
        "Bản quét của lần xem trước đã hết hạn lưu tạm: hãy chọn lại bản quét.",
        "The scans kept from the preview have expired: choose the scans again.",
    ),
    "certify.staged_other_owner": (
        "Bản quét đang giữ là của chủ sở hữu khác: hãy chọn lại bản quét.",
        "The scans kept are for another owner: choose the scans again.",
    ),
}


def _merge_feature_words() -> None:
    for module_info in sorted(pkgutil.iter_modules(words.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{words.__name__}.{module_info.name}")
        feature: dict[str, tuple[str, str]] = module.MESSAGES
        clash = MESSAGES.keys() & feature.keys()
        if clash:
            raise RuntimeError(f"console words defined twice: {sorted(clash)}")
        MESSAGES.update(feature)


_merge_feature_words()


def translate(key: str, lang: str, **values: Any) -> str:
    fallback: str | None = values.pop("_fallback", None)
    raw: str | None = values.pop("_raw", None)
    pair = MESSAGES.get(key)
    if pair is None:
        if raw is not None:
            return raw
        if fallback is not None:
            return translate(fallback, lang, **values)
        raise KeyError(f"no console message {key!r}")
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text
