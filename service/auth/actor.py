"""Who is acting, and what they may read and change."""

from dataclasses import dataclass

from service.auth.models import ROLE_ADMIN, ROLE_DEPARTMENT, ROLE_LEADER, ROLE_OPERATOR
from service.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    office_id: int
    role: str
    department_id: int | None
    # The own office plus its descendants: a city office reads its districts' work.
    readable_office_ids: frozenset[int]
    # An admin-set password not yet replaced: only the own account may be used.
    must_change_password: bool = False

    @classmethod
    def system(cls, office_id: int) -> "Actor":
        """The scheduler and the CLI acting for an office."""
        return cls(None, "system", office_id, ROLE_ADMIN, None, frozenset({office_id}))

    @classmethod
    def deployment(cls, office_id: int) -> "Actor":
        """The command line acting as the deployment's operator (`duban holidays set`,
        creating operator accounts). `office_id` only files the row it writes."""
        return cls(None, "system", office_id, ROLE_OPERATOR, None, frozenset())

    @property
    def is_operator(self) -> bool:
        return self.role == ROLE_OPERATOR

    def require_operator(self) -> None:
        if not self.is_operator:
            raise Forbidden("只有系统运维人员（operator）可以执行此操作")

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_department(self) -> bool:
        return self.role == ROLE_DEPARTMENT

    @property
    def is_leader(self) -> bool:
        return self.role == ROLE_LEADER

    def require_admin_of(self, office_id: int) -> None:
        """Changes are made by the owning office's admin only (parents read, not write)."""
        if not self.is_admin:
            raise Forbidden("只有领导小组办公室管理员可以执行此操作")
        if office_id != self.office_id:
            raise Forbidden("上级办公室只能查看下级办公室的数据，不能修改")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("只有领导小组办公室管理员可以执行此操作")
